import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Command } from "commander";
import { FailureError, InputError } from "../../errors";
import { redactText } from "../../redact";
import { loadStackSettings } from "../../settings/stack-file";
import { DurationError, formatDuration, parseDuration } from "../../text/duration";
import type { RegisterCommand } from "../command-io";
import { EXIT, type ExitCode } from "../exit-codes";
import { findProjectDir } from "../project";

/**
 * `dbpipe tunnel --stack <name>`: opens the SSM port forwarding session through an rds stack's
 * bastion to its private instance, on the local port `pulumi up` connects to (dbpipe:adminEndpoint).
 * It reads where to forward from the stack — its `tunnel` output, or, while the first `pulumi up` is
 * still running and no output exists yet, the bastion and the instance already in its state — and
 * runs `aws ssm start-session` until interrupted. With `--wait`, as a CI job runs it beside the
 * first `pulumi up`, it keeps trying for that long: until the bastion and the instance exist, until
 * the bastion's SSM agent accepts the session, and again whenever the session ends.
 */

/** The SSM document of the session. */
export const PORT_FORWARDING_DOCUMENT = "AWS-StartPortForwardingSessionToRemoteHost";

/** Where a session forwards. */
export interface TunnelTarget {
  /** The bastion's EC2 instance id. */
  bastionInstanceId: string;
  /** The instance's private address. */
  host: string;
  /** The instance's port. */
  port: number;
  /** The local port. */
  localPort: number;
  /** The region, when known (else the AWS CLI's own). */
  region?: string;
}

/** The `aws` arguments that open the session to `target`. */
export function startSessionArgs(target: TunnelTarget): string[] {
  const parameters = { host: [target.host], portNumber: [String(target.port)], localPortNumber: [String(target.localPort)] };
  return [
    "ssm",
    "start-session",
    "--target",
    target.bastionInstanceId,
    "--document-name",
    PORT_FORWARDING_DOCUMENT,
    "--parameters",
    JSON.stringify(parameters),
    ...(target.region ? ["--region", target.region] : []),
  ];
}

/** The full path of `name` on `PATH`, or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Reads a tunnel target from `pulumi stack output --json`'s text; undefined when the stack has none yet. */
export function targetFromOutputs(text: string): TunnelTarget | undefined {
  const outputs = JSON.parse(text) as Record<string, unknown>;
  const t = outputs.tunnel as Partial<TunnelTarget> | undefined;
  if (!t || typeof t.bastionInstanceId !== "string" || typeof t.host !== "string") return undefined;
  return { bastionInstanceId: t.bastionInstanceId, host: t.host, port: Number(t.port), localPort: Number(t.localPort), region: t.region };
}

/**
 * Finds the bastion and the instance in `pulumi stack export`'s text: Pulumi writes each resource to
 * the state as soon as it is created, long before the stack's outputs, which come at the end.
 */
export function targetFromState(text: string, localPort: number, region: string | undefined): TunnelTarget | undefined {
  const state = JSON.parse(text) as { deployment?: { resources?: { urn: string; type: string; id?: string; outputs?: Record<string, unknown> }[] } };
  const resources = state.deployment?.resources ?? [];
  const bastion = resources.find((r) => r.type === "aws:ec2/instance:Instance" && r.urn.endsWith("-server-bastion-instance") && r.id);
  const instance = resources.find((r) => r.type === "aws:rds/instance:Instance" && r.urn.endsWith("-server-instance") && typeof r.outputs?.address === "string");
  if (!bastion?.id || !instance) return undefined;
  return { bastionInstanceId: bastion.id, host: String(instance.outputs?.address), port: Number(instance.outputs?.port ?? 5432), localPort, region };
}

/** The bastion and the instance of `stack`, from its outputs or, before they exist, its state; undefined when neither holds them. */
function readTarget(stack: string, projectDir: string, localPort: number, region: string | undefined): TunnelTarget | undefined {
  const target = targetFromOutputs(pulumi(["stack", "output", "--json", "--stack", stack], projectDir)) ?? targetFromState(pulumi(["stack", "export", "--stack", stack], projectDir), localPort, region);
  return target && { ...target, localPort };
}

/** How long `--wait` sleeps between two tries: a tenth of the wait, at most 15 seconds. */
export function retryIntervalMs(waitMs: number): number {
  return Math.min(15_000, Math.round(waitMs / 10));
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}

/**
 * Runs `aws <args>` with the terminal; when `interrupted` aborts (Ctrl-C, SIGTERM: its reason is
 * the signal), the same signal is sent on to it. Resolves with its exit code, or "interrupted".
 */
function runSession(args: string[], interrupted: AbortSignal): Promise<number | "interrupted"> {
  return new Promise((resolve, reject) => {
    const child = spawn("aws", args, { stdio: "inherit" });
    const forward = () => child.kill(interrupted.reason as NodeJS.Signals);
    interrupted.addEventListener("abort", forward, { once: true });
    child.once("error", (error) => {
      interrupted.removeEventListener("abort", forward);
      reject(new FailureError(`could not run aws: ${error.message}`));
    });
    child.once("exit", (code, signal) => {
      interrupted.removeEventListener("abort", forward);
      resolve(interrupted.aborted ? "interrupted" : (code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
    });
  });
}

/** Runs `pulumi <args>` in `cwd` and returns its stdout, or throws a {@link FailureError} with what it said. */
function pulumi(args: string[], cwd: string): string {
  const run = spawnSync("pulumi", args, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (run.error) throw new FailureError(`could not run pulumi: ${run.error.message}`);
  if (run.status !== 0) {
    const said = redactText((run.stderr || run.stdout || "").trim().split("\n").slice(0, 5).join("\n"));
    throw new FailureError(`\`pulumi ${args.join(" ")}\` failed (exit ${run.status ?? "signal"})${said ? `: ${said}` : ""}`);
  }
  return run.stdout;
}

export const register: RegisterCommand = (program, io) => {
  program.addCommand(
    new Command("tunnel")
      .description("open the SSM port forwarding session through an rds stack's bastion, so pulumi up reaches the private instance")
      .option("--stack <name>", "stack whose bastion and instance to use (Pulumi.<name>.yaml)", "dev")
      .option("--local-port <port>", "local port to listen on (default: the stack's dbpipe:adminEndpoint port, 15432)")
      .option("--print", "print the aws command instead of running it")
      .option(
        "--wait <duration>",
        "keep trying for this long (e.g. 45min): wait for the bastion and the instance to exist, for the bastion to accept the session, and reopen the session when it ends — for a CI job that runs it beside the first pulumi up",
      )
      .addHelpText(
        "after",
        "\nNeeds the Pulumi CLI (logged in to the stack's backend), the AWS CLI v2 and the Session Manager plugin on PATH.\n" +
          "Run it beside `pulumi up --stack <name>` (which waits for it) and before `pulumi refresh` or `pulumi destroy`; Ctrl-C closes it.\n" +
          "Exit codes: 0 closed (or --wait's time is up after a session), 2 the stack has no tunnel (settings, or not deployed yet — with --wait, not within its time), 3 a missing tool or a failed session.",
      )
      .action(
        io.run(async (flags: { stack: string; localPort?: string; print?: boolean; wait?: string }): Promise<ExitCode> => {
          const projectDir = findProjectDir();
          const settings = loadStackSettings(projectDir, flags.stack, { deploy: true });
          const { infra } = settings;
          if (infra.server !== "rds") throw new InputError(`stack ${flags.stack} has dbpipe:server ${infra.server}: it has no RDS instance to tunnel to`);
          if (infra.networkPath !== "tunnel") {
            throw new InputError(`stack ${flags.stack} has dbpipe:networkPath ${infra.networkPath ?? "unset"}: it declares no bastion (set dbpipe:networkPath to tunnel and run pulumi up)`);
          }
          let localPort = infra.adminEndpoint?.port ?? 15432;
          if (flags.localPort !== undefined) {
            localPort = Number(flags.localPort);
            if (!/^\d{1,5}$/.test(flags.localPort) || localPort < 1 || localPort > 65535) throw new InputError(`--local-port must be a TCP port (1-65535), got "${flags.localPort}"`);
          }
          let waitMs = 0;
          if (flags.wait !== undefined) {
            try {
              waitMs = parseDuration(flags.wait, { maxMs: 24 * 3_600_000, maxWhy: "a day" });
            } catch (error) {
              if (error instanceof DurationError) throw new InputError(`--wait ${error.message}`);
              throw error;
            }
            if (waitMs === 0) throw new InputError("--wait must be longer than 0, such as 45min");
            if (flags.print) throw new InputError("--wait and --print do not go together: --print only prints the command");
          }
          for (const [tool, how] of [
            ["pulumi", "install the Pulumi CLI (https://www.pulumi.com/docs/install/) and log in to the stack's backend"],
            ["aws", "install the AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)"],
            ["session-manager-plugin", "install the Session Manager plugin (https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html)"],
          ] as const) {
            if (!findOnPath(tool)) throw new FailureError(`${tool} is not on PATH: ${how}`);
          }
          const { output } = io;
          const deadline = Date.now() + waitMs;
          const interval = retryIntervalMs(waitMs);
          const interrupted = new AbortController();
          const onInt = (signal: NodeJS.Signals) => interrupted.abort(signal);
          process.on("SIGINT", onInt);
          process.on("SIGTERM", onInt);
          try {
            let target = readTarget(flags.stack, projectDir, localPort, infra.awsRegion);
            if (target === undefined && waitMs > 0) {
              output.error(`Waiting up to ${formatDuration(waitMs)} for stack ${flags.stack}'s bastion and instance (pulumi up creates them).`);
              while (target === undefined && Date.now() + interval <= deadline && !interrupted.signal.aborted) {
                await sleep(interval, interrupted.signal);
                if (!interrupted.signal.aborted) target = readTarget(flags.stack, projectDir, localPort, infra.awsRegion);
              }
              if (interrupted.signal.aborted) return EXIT.ok;
            }
            if (target === undefined) {
              throw new InputError(
                waitMs > 0
                  ? `stack ${flags.stack} still has no bastion and instance after ${formatDuration(waitMs)}: is \`pulumi up --stack ${flags.stack}\` running?`
                  : `stack ${flags.stack} has no bastion and instance yet: start \`pulumi up --stack ${flags.stack}\` (it creates them first, then waits for this tunnel) and run this again once they exist`,
              );
            }
            const args = startSessionArgs(target);
            if (flags.print) {
              output.line(["aws", ...args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`))].join(" "));
              return EXIT.ok;
            }
            output.error(`Forwarding localhost:${localPort} to ${target.host}:${target.port} through ${target.bastionInstanceId}; Ctrl-C closes the tunnel.`);
            for (;;) {
              const code = await runSession(args, interrupted.signal);
              if (code === "interrupted") return EXIT.ok;
              if (waitMs === 0 || Date.now() + interval > deadline) {
                if (code === 0) return EXIT.ok;
                throw new FailureError(`aws ssm start-session ended with exit code ${code}: see its message above`);
              }
              // A bastion just created takes a minute before its SSM agent accepts sessions; an idle session ends after 20 minutes.
              output.error(`aws ssm start-session ended with exit code ${code}; opening it again in ${formatDuration(interval)} (--wait ends in ${formatDuration(Math.max(0, deadline - Date.now()))}).`);
              await sleep(interval, interrupted.signal);
              if (interrupted.signal.aborted) return EXIT.ok;
            }
          } finally {
            process.off("SIGINT", onInt);
            process.off("SIGTERM", onInt);
          }
        }),
      ),
  );
};
