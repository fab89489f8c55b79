import { describe, expect, it } from "vitest";
import { engineConfig } from "./helpers/engine-config";
import type { Recorder } from "./helpers/pulumi-mocks";
import { runWithMocks } from "./helpers/run-with-mocks";

/** The CloudWatch alarms of an rds stack under Pulumi's mocks: the connections threshold by instance class, and the actions. */

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TOPIC = "arn:aws:sns:us-east-1:123456789012:db-alerts";

async function alarms(overrides: Record<string, unknown>): Promise<Recorder> {
  return (await runWithMocks("dev", engineConfig("dev", { overrides }))).recorder;
}

function connectionsAlarm(r: Recorder): Record<string, unknown> {
  return r.one(ALARM, "dbpipe-server-connections-alarm").inputs;
}

describe("the connections alarm", () => {
  it.each([
    // class, 80% of its max_connections, and max_connections as estimated: (memory − 512 MiB) / 9531392, at most 5000
    ["db.t4g.micro", 44, 56],
    ["db.t3.medium", 315, 394],
    ["db.m6g.large", 675, 844],
    ["db.r6g.xlarge", 2838, 3548],
    ["db.r6g.4xlarge", 4000, 5000],
  ])("on %s fires above %i connections (max_connections about %i)", async (instanceClass, threshold, max) => {
    const alarm = connectionsAlarm(await alarms({ "dbpipe:instanceClass": instanceClass }));
    expect(alarm).toMatchObject({ metricName: "DatabaseConnections", statistic: "Maximum", comparisonOperator: "GreaterThanThreshold", threshold });
    expect(alarm.alarmDescription).toBe(`dbpipe-dev-server: more than ${threshold} connections for 10 minutes (max_connections about ${max})`);
  });

  it("takes dbpipe:alarmConnections over the class's default", async () => {
    expect(connectionsAlarm(await alarms({ "dbpipe:instanceClass": "db.m6g.large", "dbpipe:alarmConnections": 500 })).threshold).toBe(500);
  });
});

describe("alarm actions", () => {
  it("notify dbpipe:alarmTopicArn from every alarm, when it fires and when it recovers", async () => {
    const r = await alarms({ "dbpipe:alarmTopicArn": TOPIC });
    expect(r.ofType(ALARM).map((a) => [a.name, a.inputs.alarmActions, a.inputs.okActions])).toEqual(
      ["cpu-alarm", "storage-alarm", "connections-alarm"].map((part) => [`dbpipe-server-${part}`, [TOPIC], [TOPIC]]),
    );
  });

  it("are none without a topic: the alarms only show in CloudWatch", async () => {
    const r = await alarms({});
    for (const alarm of r.ofType(ALARM)) expect([alarm.inputs.alarmActions, alarm.inputs.okActions]).toEqual([[], []]);
  });
});
