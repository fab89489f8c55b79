import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** The public SSM parameter holding the newest Amazon Linux 2023 AMI for arm64 (the SSM agent is preinstalled). */
export const BASTION_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64";

/** The bastion's instance type: the smallest Graviton instance; it only relays one TCP stream. */
export const BASTION_INSTANCE_TYPE = "t4g.nano";

/** The interface VPC endpoints Session Manager needs where the subnet has no route to the internet. */
export const SSM_ENDPOINT_SERVICES = ["ssm", "ssmmessages", "ec2messages"] as const;

/** Arguments of an {@link SsmBastion}. */
export interface SsmBastionArgs {
  /** VPC of the bastion (the database's). Required. */
  vpcId: pulumi.Input<string>;
  /** Subnet of the bastion. It needs a route to Systems Manager (NAT, internet gateway with a public address) unless `vpcEndpoints`. Required. */
  subnetId: pulumi.Input<string>;
  /** Security group of the database; the bastion may reach it on `port` only. Required. */
  targetSecurityGroupId: pulumi.Input<string>;
  /** The database's port. Required. */
  port: number;
  /** Declare the ssm, ssmmessages and ec2messages interface endpoints in the bastion's subnet. Default false. */
  vpcEndpoints?: boolean;
  /** The name AWS sees (descriptions, the `Name` tag), e.g. `dbpipe-dev-bastion`. Default: `name`. */
  fixedName?: string;
  /** Tags of every taggable child. Default none. */
  tags?: Record<string, string>;
}

/**
 * A bastion that opens no port: an EC2 instance with the `AmazonSSMManagedInstanceCore` role, whose
 * SSM agent dials out to Systems Manager. `aws ssm start-session --document-name
 * AWS-StartPortForwardingSessionToRemoteHost` (what `dbpipe tunnel` runs) forwards a local port
 * through it to the database; who may do so is decided by IAM (`ssm:StartSession` on this instance),
 * and every session is recorded by Systems Manager. Its security group has no inbound rule, and lets
 * out only HTTPS (to Systems Manager) and PostgreSQL to the database's security group.
 */
export class SsmBastion extends pulumi.ComponentResource {
  /** The instance: the tunnel's `--target`. */
  readonly instance: aws.ec2.Instance;
  /** Its security group, let into the database's on the PostgreSQL port. */
  readonly securityGroup: aws.ec2.SecurityGroup;

  constructor(name: string, args: SsmBastionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dbpipe:infra:SsmBastion", name, {}, opts);
    const tags = args.tags ?? {};
    const fixedName = args.fixedName ?? name;
    const parent = { parent: this };

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      { vpcId: args.vpcId, description: `${fixedName}: SSM bastion, no inbound rules`, tags },
      { ...parent, ignoreChanges: ["description"] },
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-to-ssm`,
      { securityGroupId: this.securityGroup.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", description: "HTTPS to Systems Manager", tags },
      parent,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-to-database`,
      {
        securityGroupId: this.securityGroup.id,
        ipProtocol: "tcp",
        fromPort: args.port,
        toPort: args.port,
        referencedSecurityGroupId: args.targetSecurityGroupId,
        description: "PostgreSQL",
        tags,
      },
      parent,
    );

    if (args.vpcEndpoints) {
      const endpointGroup = new aws.ec2.SecurityGroup(
        `${name}-endpoints-sg`,
        { vpcId: args.vpcId, description: `${fixedName}: Systems Manager endpoints, HTTPS from the bastion`, tags },
        { ...parent, ignoreChanges: ["description"] },
      );
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-endpoints-from-bastion`,
        { securityGroupId: endpointGroup.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, referencedSecurityGroupId: this.securityGroup.id, description: "HTTPS", tags },
        parent,
      );
      const region = aws.getRegionOutput({}, parent).region;
      for (const service of SSM_ENDPOINT_SERVICES) {
        new aws.ec2.VpcEndpoint(
          `${name}-${service}-endpoint`,
          {
            vpcId: args.vpcId,
            serviceName: pulumi.interpolate`com.amazonaws.${region}.${service}`,
            vpcEndpointType: "Interface",
            subnetIds: [args.subnetId],
            securityGroupIds: [endpointGroup.id],
            privateDnsEnabled: true,
            tags,
          },
          parent,
        );
      }
    }

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `${fixedName}: lets Systems Manager manage the bastion`,
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags,
      },
      { ...parent, ignoreChanges: ["description"] },
    );
    const partition = aws.getPartitionOutput({}, parent).partition;
    new aws.iam.RolePolicyAttachment(
      `${name}-ssm-core`,
      { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore` },
      parent,
    );
    const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name, tags }, parent);

    const ami = aws.ssm.getParameterOutput({ name: BASTION_AMI_PARAMETER }, parent).value;
    this.instance = new aws.ec2.Instance(
      `${name}-instance`,
      {
        ami,
        instanceType: BASTION_INSTANCE_TYPE,
        subnetId: args.subnetId,
        vpcSecurityGroupIds: [this.securityGroup.id],
        iamInstanceProfile: profile.name,
        // IMDSv2 only: the instance role's credentials cannot be read by a forged request.
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
        rootBlockDevice: { encrypted: true, volumeType: "gp3", deleteOnTermination: true },
        tags: { ...tags, Name: fixedName },
      },
      // A newer AMI each month must not replace the bastion under an open session; replace it on purpose
      // (`pulumi up --replace <urn>`) to take one.
      { ...parent, ignoreChanges: ["ami"] },
    );
    this.registerOutputs({ instanceId: this.instance.id });
  }
}
