import Foundation
@testable import SiloS3
import SiloStorage
import SiloTestSupport
import XCTest

/// The S3 backend over https, as real object stores serve it: the test server's stunnel front
/// with a certificate from a CA made at test time. Trusted only through the CA bundle named;
/// a wrong CA, a certificate for another name, a server that does not speak TLS and a proxy
/// that refuses the tunnel fail at the first attempt, naming the problem.
final class S3TLSTests: XCTestCase {
    private let server = S3TestServer.shared

    override func setUpWithError() throws { try server.start() }

    private func store(_ endpoint: String? = nil, caBundle: String? = S3TestServer.caFile,
                       configure: (inout S3Configuration) -> Void = { _ in }) throws -> S3ObjectStore {
        try server.store(endpoint: endpoint ?? server.httpsEndpoint) {
            $0.caBundle = caBundle
            // The retry layer's defaults: a refusal it retried would take seconds.
            $0.maxAttempts = 8
            $0.baseDelay = 0.2
            configure(&$0)
        }
    }

    func testConformanceOverHTTPS() throws {
        try runObjectStoreConformance(plantUnfinishedPut: { store, key in
            try (store as! S3ObjectStore).leaveUnfinishedUpload(key)
        }) { try self.store() }
    }

    /// A DNS name: checked against the certificate's names (and sent as SNI).
    func testHostNameIsVerified() throws {
        let store = try store(server.httpsEndpoint.replacingOccurrences(of: "127.0.0.1", with: "localhost"))
        try store.put("a", data: Data("over tls".utf8))
        XCTAssertEqual(try store.get("a"), Data("over tls".utf8))
    }

    /// Refused at the first attempt, within a moment, with the certificate problem named.
    private func assertRefusedAtOnce(_ store: S3ObjectStore, mentions expected: [String],
                                     file: StaticString = #filePath, line: UInt = #line) {
        let started = Date()
        XCTAssertThrowsError(try store.put("config", data: Data([1])), file: file, line: line) { error in
            XCTAssertEqual((error as? StorageError)?.code, .io, "\(error)", file: file, line: line)
            for text in expected { XCTAssertTrue("\(error)".contains(text), "\(error) should mention \(text)", file: file, line: line) }
            XCTAssertFalse("\(error)".contains("attempts"), "\(error)", file: file, line: line)
        }
        XCTAssertEqual(store.requestCount, 1, "not retried", file: file, line: line)
        XCTAssertLessThan(Date().timeIntervalSince(started), 2, file: file, line: line)
    }

    func testWrongCAIsRefusedAtOnce() throws {
        assertRefusedAtOnce(try store(caBundle: S3TestServer.otherCAFile),
                            mentions: ["not trusted", "unable to get local issuer certificate", "--cacert"])
    }

    /// The system's store (the default) does not know the test CA.
    func testPrivateCAIsNotTrustedByDefault() throws {
        assertRefusedAtOnce(try store(caBundle: nil), mentions: ["not trusted", "local issuer certificate"])
    }

    func testHostNameMismatchIsRefused() throws {
        assertRefusedAtOnce(try store(server.wrongNameEndpoint), mentions: ["is not valid for 127.0.0.1", "IP address mismatch"])
        let byName = server.wrongNameEndpoint.replacingOccurrences(of: "127.0.0.1", with: "localhost")
        assertRefusedAtOnce(try store(byName), mentions: ["is not valid for localhost", "hostname mismatch"])
    }

    func testPlainHTTPServerIsNotRetried() throws {
        assertRefusedAtOnce(try store(server.endpoint.replacingOccurrences(of: "http:", with: "https:")),
                            mentions: ["TLS handshake", "is it an https endpoint?"])
    }

    func testUnreadableCABundleIsNamed() throws {
        assertRefusedAtOnce(try store(caBundle: "/nonexistent/ca.pem"), mentions: ["/nonexistent/ca.pem", "--cacert"])
    }

    /// Through an HTTP CONNECT proxy: one tunnel for several requests (kept alive), the server's
    /// certificate still checked; a host in no_proxy is reached directly.
    func testHTTPSProxyIsUsed() throws {
        let proxy = try ConnectProxy()
        let proxied = try store { $0.httpsProxy = "http://127.0.0.1:\(proxy.port)" }
        for i in 0..<5 { try proxied.put("k\(i)", data: Data([UInt8(i)])) }
        XCTAssertEqual(try proxied.get("k3"), Data([3]))
        XCTAssertEqual(proxy.requests, ["CONNECT 127.0.0.1:18085 HTTP/1.1"])

        let bypassing = try store { $0.httpsProxy = "http://127.0.0.1:\(proxy.port)"; $0.noProxy = "example.com, 127.0.0.1" }
        try bypassing.put("direct", data: Data([9]))
        XCTAssertEqual(proxy.requests.count, 1, "no_proxy: not through the proxy")

        let untrusted = try store(caBundle: S3TestServer.otherCAFile) { $0.httpsProxy = "http://127.0.0.1:\(proxy.port)" }
        assertRefusedAtOnce(untrusted, mentions: ["not trusted"])
    }

    func testProxyRefusingTheTunnelIsNotRetried() throws {
        let proxy = try ConnectProxy()
        // The test proxy opens tunnels to 127.0.0.1 only.
        let refused = try store(server.httpsEndpoint.replacingOccurrences(of: "127.0.0.1", with: "localhost")) {
            $0.httpsProxy = "127.0.0.1:\(proxy.port)"
        }
        assertRefusedAtOnce(refused, mentions: ["refused CONNECT localhost:18085", "403"])
    }

    func testProxyAndCABundleComeFromTheEnvironment() throws {
        var environment = server.environment
        environment["HTTPS_PROXY"] = "http://user:secret@127.0.0.1:3128"
        environment["no_proxy"] = ".internal"
        environment["AWS_CA_BUNDLE"] = "/etc/ca.pem"
        let configuration = try S3Configuration(url: "s3:\(server.httpsEndpoint)/b", environment: environment)
        XCTAssertEqual(configuration.httpsProxy, "http://user:secret@127.0.0.1:3128")
        XCTAssertEqual(configuration.noProxy, ".internal")
        XCTAssertEqual(configuration.caBundle, "/etc/ca.pem")
        let proxy = try HTTPSProxy(url: configuration.httpsProxy!, noProxy: configuration.noProxy)
        XCTAssertEqual(proxy.authorization, Data("user:secret".utf8).base64EncodedString())
        XCTAssertFalse(proxy.applies(to: "s3.internal"))
        XCTAssertTrue(proxy.applies(to: "s3.amazonaws.com"))
        environment["https_proxy"] = "ftp://nowhere"
        XCTAssertThrowsError(try S3Configuration(url: "s3:\(server.httpsEndpoint)/b", environment: environment)) { error in
            XCTAssertTrue("\(error)".contains("https_proxy"), "\(error)")
        }
    }
}
