// The dbpipe policy pack. Pulumi starts it for `pulumi preview --policy-pack policies`; it only
// constructs the pack: the policies live in one module per area, which the tests import.
import { PolicyPack } from "@pulumi/policy";
import { defaultEnforcementLevel } from "./analysed-stack";
import { backupBucketPolicies } from "./backup-bucket";
import { databasePolicies } from "./database";
import { migrationsPolicies } from "./migrations";
import { secretsPolicies } from "./secrets";

new PolicyPack("dbpipe", {
  // policies/config/<stack>.json sets the level per stack; without it, the analysed stack's tier does.
  enforcementLevel: defaultEnforcementLevel(),
  policies: [...migrationsPolicies, ...databasePolicies, ...backupBucketPolicies, ...secretsPolicies],
});
