import Foundation
import SiloS3
import SiloStorage
import SiloTestSupport
import XCTest

/// The real S3 server the tests use: OpenStack Swift with s3api on loopback, laid out and
/// started by `scripts/s3-test-server.sh` (idempotent; installs Debian's packages when missing).
final class S3TestServer: @unchecked Sendable {
    static let shared = S3TestServer()
    let endpoint = "http://127.0.0.1:18080"
    /// stunnel in front of the same server (the script's TLS front), with a certificate for
    /// 127.0.0.1 and localhost that `caFile` signs; the port after it serves one for another name.
    let httpsEndpoint = "https://127.0.0.1:18085"
    let wrongNameEndpoint = "https://127.0.0.1:18086"
    static var tlsDirectory: String { (ProcessInfo.processInfo.environment["SWIFT_S3_DIR"] ?? "/tmp/swift-s3") + "/tls" }
    /// The test CA, made by the script at start.
    static var caFile: String { tlsDirectory + "/ca.pem" }
    /// A CA that signed nothing the server shows.
    static var otherCAFile: String { tlsDirectory + "/other-ca.pem" }
    let bucket = "test-bucket"
    let accessKey = "test:tester"
    let secretKey = "testing"
    private let lock = NSLock()
    private var started = false
    private var startError: String?

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
            + "/scripts/s3-test-server.sh"
    }

    struct Unavailable: Error, CustomStringConvertible { let description: String }

    func start() throws {
        try lock.withLock {
            if !started {
                started = true
                let result = Self.shell([Self.script, "start"])
                if result.status != 0 { startError = "cannot start the test S3 server: \(result.output)" }
            }
            if let startError { throw Unavailable(description: startError) }
        }
    }

    /// Stops or starts the server (for outage tests); the data stays.
    func control(_ command: String) {
        let result = Self.shell([Self.script, command])
        XCTAssertEqual(result.status, 0, result.output)
        if command == "stop" { lock.withLock { started = false } }
    }

    var environment: [String: String] {
        ["AWS_ACCESS_KEY_ID": accessKey, "AWS_SECRET_ACCESS_KEY": secretKey, "AWS_REGION": "us-east-1"]
    }

    /// A store on a fresh prefix of the test bucket.
    func store(prefix: String = "t-" + UUID().uuidString.prefix(8).lowercased(), secret: String? = nil, bucket: String? = nil,
               endpoint: String? = nil, configure: (inout S3Configuration) -> Void = { _ in }) throws -> S3ObjectStore {
        var env = environment
        if let secret { env["AWS_SECRET_ACCESS_KEY"] = secret }
        var configuration = try S3Configuration(url: "s3:\(endpoint ?? self.endpoint)/\(bucket ?? self.bucket)/\(prefix)", environment: env)
        configuration.maxAttempts = 3
        configuration.baseDelay = 0.05
        configure(&configuration)
        return S3ObjectStore(configuration)
    }

    static func shell(_ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (127, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// The S3 backend against the real server: the same conformance suite as the local backend,
/// then what only S3 has.
final class S3ObjectStoreTests: XCTestCase {
    private let server = S3TestServer.shared

    override func setUpWithError() throws { try server.start() }

    func testConformance() throws {
        try runObjectStoreConformance(plantUnfinishedPut: { store, key in
            try (store as! S3ObjectStore).leaveUnfinishedUpload(key)
        }) { try self.server.store() }
    }

    func testMultipartUploadAndBatchDelete() throws {
        let store = try server.store { $0.multipartThreshold = 6 << 20; $0.partSize = 5 << 20 }
        let data = pseudoRandomBytes(13 << 20, seed: 42)
        try store.put("packs/big", data: data)
        XCTAssertEqual(try store.get("packs/big"), data)
        XCTAssertEqual(try store.get("packs/big", offset: 11 << 20, length: 1000), data.subdata(in: (11 << 20)..<((11 << 20) + 1000)))
        XCTAssertGreaterThanOrEqual(store.requestCounts["PUT"] ?? 0, 3, "three parts")
        for i in 0..<5 { try store.put("x/\(i)", data: Data([UInt8(i)])) }
        try store.delete((0..<5).map { "x/\($0)" } + ["x/never-existed"])
        XCTAssertEqual(try store.list(prefix: "x/"), [])
    }

    func testListingPaginates() throws {
        let store = try server.store()
        let keys = (0..<1005).map { String(format: "many/k%04d", $0) }
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for (i, key) in keys.enumerated() where i % 8 == worker { try? store.put(key, data: Data([1])) }
        }
        let listed = try store.list(prefix: "many/")
        XCTAssertEqual(listed.sorted(), keys)
        XCTAssertGreaterThanOrEqual(store.requestCounts["GET"] ?? 0, 2, "two pages of at most 1000")
    }

    func testWrongSecretAndMissingBucketAreClearAndNotRetried() throws {
        let wrong = try server.store(secret: "not-the-secret")
        XCTAssertThrowsError(try wrong.put("a", data: Data([1]))) { error in
            XCTAssertEqual((error as? StorageError)?.code, .permissionDenied)
            XCTAssertTrue("\(error)".contains("wrong secret key"), "\(error)")
            XCTAssertFalse("\(error)".contains("not-the-secret"))
        }
        XCTAssertEqual(wrong.requestCount, 1, "a 403 is not retried")
        let missing = try server.store(bucket: "no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())")
        XCTAssertThrowsError(try missing.get("config")) { error in
            XCTAssertTrue("\(error)".contains("does not exist"), "\(error)")
        }
    }
}
