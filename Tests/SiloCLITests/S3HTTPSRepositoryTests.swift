import Foundation
import SiloTestSupport
import XCTest

/// A repository on the S3 test server over https (its stunnel front, with a certificate from
/// a CA the server script makes at start), trusted through `--cacert`, `AWS_CA_BUNDLE` or
/// OpenSSL's `SSL_CERT_FILE`; refused at once without it.
final class S3HTTPSRepositoryTests: XCTestCase {
    private var env: CLIEnvironment!
    private static let script = PostgresTestServer.packageRoot + "/scripts/s3-test-server.sh"
    private static let ca = (ProcessInfo.processInfo.environment["SWIFT_S3_DIR"] ?? "/tmp/swift-s3") + "/tls/ca.pem"

    override func setUpWithError() throws {
        let started = PostgresTestServer.run("/bin/bash", [Self.script, "start"], environment: [:])
        guard started.status == 0 else { throw PostgresTestServer.TestServerError("cannot start the test S3 server: \(started.stderr)") }
        env = try CLIEnvironment()
        let prefix = "cli-tls-" + UUID().uuidString.prefix(8).lowercased()
        env.environment["SILO_REPOSITORY"] = "s3:https://127.0.0.1:18085/test-bucket/\(prefix)"
        env.environment["AWS_ACCESS_KEY_ID"] = "test:tester"
        env.environment["AWS_SECRET_ACCESS_KEY"] = "testing"
        env.environment["AWS_REGION"] = "us-east-1"
    }

    override func tearDown() {
        env = nil
        super.tearDown()
    }

    func testBackupAndRestoreOverHTTPS() throws {
        try env.expect(0, ["init", "-q", "--cacert", Self.ca])
        for i in 0..<20 { try env.write("src/file\(i).txt", text(3000 + i * 131, seed: i)) }
        try env.write("src/big.bin", pseudoRandomBytes(5 << 20, seed: 3))
        try env.expect(0, ["backup", env.path("src"), "-q", "--cacert", Self.ca])
        try env.expect(0, ["restore", "latest", "--target", env.path("out")], environment: ["AWS_CA_BUNDLE": Self.ca])
        XCTAssertEqual(contentDigests(env.path("out") + env.path("src")), contentDigests(env.path("src")))
        try env.expect(0, ["check", "--read-data"], environment: ["SSL_CERT_FILE": Self.ca])
    }

    /// Without the CA, and with --cacert naming another one over a trusted AWS_CA_BUNDLE: the
    /// first request fails, at once, and says why.
    func testUntrustedCertificateFailsAtOnceAndSaysWhy() throws {
        for (arguments, extra) in [([String](), [String: String]()), (["--cacert", env.path("none.pem")], ["AWS_CA_BUNDLE": Self.ca])] {
            let started = Date()
            let result = try env.run(["init", "-q"] + arguments, environment: extra)
            XCTAssertNotEqual(result.status, 0)
            XCTAssertLessThan(Date().timeIntervalSince(started), 3, "not retried: \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("attempts"), result.stderr)
            if arguments.isEmpty {
                XCTAssertTrue(result.stderr.contains("is not trusted (unable to get local issuer certificate)"), result.stderr)
                XCTAssertTrue(result.stderr.contains("--cacert"), result.stderr)
            } else {
                XCTAssertTrue(result.stderr.contains("cannot read the CA bundle \(env.path("none.pem"))"), result.stderr)
            }
        }
    }
}
