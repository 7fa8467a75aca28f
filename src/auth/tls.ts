// `rbus tls init`: a local certificate authority and the certificates the
// commented TLS blocks of nats.conf name: a server certificate for
// 127.0.0.1 and localhost, and one client certificate for `verify: true`.
// openssl makes them (Node's crypto signs but does not build X.509).
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";

export interface TlsFiles {
  ca: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export const tlsFiles = (dir: string): TlsFiles => ({
  ca: join(dir, "ca.pem"),
  caKey: join(dir, "ca-key.pem"),
  serverCert: join(dir, "server-cert.pem"),
  serverKey: join(dir, "server-key.pem"),
  clientCert: join(dir, "client-cert.pem"),
  clientKey: join(dir, "client-key.pem"),
});

const DAYS = "825";
const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function openssl(args: string[]): void {
  try {
    execFileSync(process.env.OPENSSL ?? "openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() || e.message}`);
  }
}

/** A key and a certificate signed by the CA, with the given extensions. */
function issue(files: TlsFiles, dir: string, cert: string, key: string, subject: string, extensions: string[]): void {
  const csr = join(dir, "request.csr");
  const ext = join(dir, "extensions.cnf");
  writeFileSync(ext, extensions.join("\n") + "\n");
  try {
    openssl(["req", ...ecKey, "-keyout", key, "-out", csr, "-subj", subject]);
    openssl(["x509", "-req", "-in", csr, "-CA", files.ca, "-CAkey", files.caKey, "-set_serial", `0x${randomBytes(8).toString("hex")}`,
      "-days", DAYS, "-out", cert, "-extfile", ext]);
    chmodSync(key, 0o600);
  } finally {
    rmSync(csr, { force: true });
    rmSync(ext, { force: true });
  }
}

/** Makes every file that is missing (the CA only when it is); returns the paths and whether anything was made. */
export function tlsInit(dir: string): { files: TlsFiles; made: boolean } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const files = tlsFiles(dir);
  let made = false;
  if (!existsSync(files.ca) || !existsSync(files.caKey)) {
    openssl(["req", "-x509", ...ecKey, "-keyout", files.caKey, "-out", files.ca, "-days", DAYS, "-subj", "/CN=Rocketbus local CA",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    chmodSync(files.caKey, 0o600);
    // a new CA signed none of the old certificates
    for (const f of [files.serverCert, files.serverKey, files.clientCert, files.clientKey]) rmSync(f, { force: true });
    made = true;
  }
  if (!existsSync(files.serverCert) || !existsSync(files.serverKey)) {
    issue(files, dir, files.serverCert, files.serverKey, "/CN=localhost",
      ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=serverAuth", "subjectAltName=DNS:localhost,IP:127.0.0.1"]);
    made = true;
  }
  if (!existsSync(files.clientCert) || !existsSync(files.clientKey)) {
    issue(files, dir, files.clientCert, files.clientKey, "/CN=rbus-client",
      ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=clientAuth"]);
    made = true;
  }
  return { files, made };
}
