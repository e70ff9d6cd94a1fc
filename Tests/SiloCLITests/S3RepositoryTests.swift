import Foundation
import SiloTestSupport
import XCTest

/// Repositories on the real S3 server (OpenStack Swift s3api on loopback): the whole CLI over
/// the S3 backend, request counts, an outage in the middle of a backup, altered objects.
final class S3RepositoryTests: XCTestCase {
    private var env: CLIEnvironment!
    private var prefix = ""
    private static let script = PostgresTestServer.packageRoot + "/scripts/s3-test-server.sh"

    override func setUpWithError() throws {
        let started = PostgresTestServer.run("/bin/bash", [Self.script, "start"], environment: [:])
        guard started.status == 0 else { throw PostgresTestServer.TestServerError("cannot start the test S3 server: \(started.stderr)") }
        env = try CLIEnvironment()
        prefix = "cli-" + UUID().uuidString.prefix(8).lowercased()
        env.environment["SILO_REPOSITORY"] = "s3:http://127.0.0.1:18080/test-bucket/\(prefix)"
        env.environment["AWS_ACCESS_KEY_ID"] = "test:tester"
        env.environment["AWS_SECRET_ACCESS_KEY"] = "testing"
        env.environment["AWS_REGION"] = "us-east-1"
        try env.expect(0, ["init", "-q"])
    }

    // XCTest keeps every test case object until the run ends: drop the scratch directory now.
    override func tearDown() {
        env = nil
        super.tearDown()
    }

    private func makeTree() throws {
        for i in 0..<40 { try env.write("src/file\(i).txt", text(2000 + i * 97, seed: i)) }
        try env.write("src/big.bin", pseudoRandomBytes(6 << 20, seed: 9))
    }

    func testBackupRestoreAndFewRequestsWhenNothingChanged() throws {
        try makeTree()
        let first = try env.expect(0, ["backup", env.path("src"), "--json"]).jsonLines.last ?? [:]
        XCTAssertNotNil(first["storage_requests"])
        // 40 small files and one of 6 MiB: their chunks are read a pack span at a time, not
        // one request per chunk.
        let restore = try env.expect(0, ["restore", "latest", "--target", env.path("out"), "--json"]).jsonLines.last ?? [:]
        XCTAssertLessThanOrEqual(restore["storage_requests"] as? Int ?? .max, 12, "\(restore)")
        XCTAssertEqual(contentDigests(env.path("out") + env.path("src")), contentDigests(env.path("src")))
        let again = try env.expect(0, ["backup", env.path("src"), "--json"]).jsonLines.last ?? [:]
        let requests = again["storage_requests"] as? Int ?? Int.max
        // One of them lists packs/: a backup never references a pack it has not seen (FORMAT.md §10.8).
        XCTAssertLessThanOrEqual(requests, 16, "a backup with nothing changed: \(requests) requests")
        try env.expect(0, ["check", "--read-data"])
        try env.expect(0, ["forget", "--keep-last", "1", "--prune"])
    }

    /// Snapshots copied from a local repository to S3 and from S3 to another local one restore
    /// exactly; copying again sends nothing and makes few requests.
    func testCopyBetweenLocalAndS3() throws {
        try makeTree()
        let local = env.path("local"), back = env.path("back")
        try env.expect(0, ["init", "-q"], environment: ["SILO_REPOSITORY": local])
        try env.expect(0, ["backup", env.path("src"), "-q"], environment: ["SILO_REPOSITORY": local])
        let password = ["SILO_FROM_PASSWORD": "correct horse", "SILO_TO_PASSWORD": "correct horse"]

        let up = try env.expect(0, ["copy", "--from", local, "--json"], environment: password).jsonLines.last ?? [:]
        XCTAssertEqual(up["snapshots_copied"] as? Int, 1)
        try env.expect(0, ["restore", "latest", "--target", env.path("out")])
        XCTAssertEqual(contentDigests(env.path("out") + env.path("src")), contentDigests(env.path("src")))
        let again = try env.expect(0, ["copy", "--from", local, "--json"], environment: password).jsonLines.last ?? [:]
        XCTAssertEqual(again["blobs_sent"] as? Int, 0)
        XCTAssertLessThanOrEqual(again["storage_requests"] as? Int ?? .max, 15)

        try env.expect(0, ["init", "-q"], environment: ["SILO_REPOSITORY": back])
        let down = try env.expect(0, ["copy", "--to", back, "--json"], environment: password).jsonLines.last ?? [:]
        XCTAssertEqual(down["snapshots_copied"] as? Int, 1)
        // 41 files' chunks come from S3 a pack span at a time, not one request each.
        XCTAssertLessThanOrEqual(down["storage_requests"] as? Int ?? .max, 20, "\(down)")
        try env.expect(0, ["check", "--read-data"], environment: ["SILO_REPOSITORY": back])
        try env.expect(0, ["restore", "latest", "--target", env.path("back-out")], environment: ["SILO_REPOSITORY": back])
        XCTAssertEqual(contentDigests(env.path("back-out") + env.path("src")), contentDigests(env.path("src")))
    }

    /// The object store stops during a backup and comes back: the backup completes after
    /// retries, and restores exactly.
    func testOutageDuringBackupIsRidden() throws {
        try makeTree()
        try env.expect(0, ["backup", env.path("src")])
        try env.write("src/new.bin", pseudoRandomBytes(3 << 20, seed: 77))
        // One shell runs the whole outage, so that no pipe of this process is open while the
        // server restarts (Foundation's Process would wait for an end-of-file that never comes).
        let outage = """
            bash "$1" stop >/dev/null || exit 90
            "$2" backup "$3" >"$4" 2>&1 & backup=$!
            sleep 2
            bash "$1" start >/dev/null || exit 91
            wait $backup
            """
        defer { _ = PostgresTestServer.run("/bin/bash", [Self.script, "start"], environment: [:]) }
        let log = env.path("backup.log")
        let run = PostgresTestServer.run("/bin/bash", ["-c", outage, "outage", Self.script, CLIEnvironment.binary, env.path("src"), log], environment: env.environment)
        XCTAssertEqual(run.status, 0, ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "") + run.stderr)
        try env.expect(0, ["restore", "latest", "--target", env.path("out")])
        XCTAssertEqual(FileManager.default.contents(atPath: env.path("out") + env.path("src/new.bin")), pseudoRandomBytes(3 << 20, seed: 77))
    }

    /// An object altered on the server is caught by authenticated encryption, never restored.
    func testAlteredObjectIsDetected() throws {
        try makeTree()
        try env.expect(0, ["backup", env.path("src")])
        // Alter the largest pack through the S3 API, as a faulty server or an attacker would.
        let altered = PostgresTestServer.run("/usr/bin/python3", ["-c", Self.alterScript, prefix], environment: [:])
        XCTAssertEqual(altered.status, 0, altered.stderr)
        let check = try env.expect(13, ["check", "--read-data"])
        // The altered pack is named, as damaged (its name is the last line the script printed).
        let key = try XCTUnwrap(altered.stdout.split(separator: "\n").last.map(String.init))
        let short = String(key.split(separator: "/").last?.prefix(8) ?? "")
        let said = check.stdout + check.stderr
        XCTAssertEqual(short.count, 8, key)
        XCTAssertTrue(said.contains("pack \(short)") && said.contains("damaged"), said)
        let restore = try env.run(["restore", "latest", "--target", env.path("out")])
        XCTAssertEqual(restore.status, 13, restore.stderr)
    }

    /// Flips one byte in the middle of the largest pack of the repository under PREFIX, with
    /// plain SigV4 requests (Python's standard library only).
    static let alterScript = signedCall + #"""
    listing = call("GET", "/test-bucket", "list-type=2&prefix=" + urllib.parse.quote(prefix + "/packs/", safe="")).decode()
    sizes = [(int(s), k) for k, s in re.findall(r"<Key>([^<]+)</Key>.*?<Size>(\d+)</Size>", listing)]
    size, pack = max(sizes)
    data = bytearray(call("GET", "/test-bucket/" + pack))
    data[len(data) // 2] ^= 0x01
    call("PUT", "/test-bucket/" + pack, body=bytes(data))
    print(pack)
    """#

    /// Prints how many multipart uploads under PREFIX are unfinished, and how many leases it has.
    static let uploadsScript = signedCall + #"""
    listing = call("GET", "/test-bucket", "prefix=" + urllib.parse.quote(prefix + "/", safe="") + "&uploads=").decode()
    leases = call("GET", "/test-bucket", "list-type=2&prefix=" + urllib.parse.quote(prefix + "/locks/", safe="")).decode()
    print(listing.count("<UploadId>"), leases.count("<Key>"))
    """#

    /// `call(method, path, query, body)`: one request signed with SigV4 (Python's standard
    /// library only); `prefix` is the first argument.
    static let signedCall = #"""
    import hashlib, hmac, datetime, urllib.request, urllib.parse, re, sys
    prefix = sys.argv[1]
    host, region, key, secret = "127.0.0.1:18080", "us-east-1", "test:tester", "testing"
    def call(method, path, query="", body=b""):
        now = datetime.datetime.utcnow()
        stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        digest = hashlib.sha256(body).hexdigest()
        headers = {"host": host, "x-amz-content-sha256": digest, "x-amz-date": stamp}
        signed = ";".join(sorted(headers))
        canonical = "\n".join([method, path, query, "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)), signed, digest])
        scope = f"{day}/{region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        k = ("AWS4" + secret).encode()
        for part in (day, region, "s3", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        request = urllib.request.Request(f"http://{host}{path}" + (f"?{query}" if query else ""), data=body if method == "PUT" else None, method=method)
        for name, value in headers.items():
            if name != "host": request.add_header(name, value)
        request.add_header("Authorization", f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed}, Signature={signature}")
        return urllib.request.urlopen(request).read()

    """#

    /// A read command on a bucket that does not exist names the bucket (exit 10), as init does.
    func testMissingBucketIsNamed() throws {
        let bucket = "no-such-bucket-" + UUID().uuidString.prefix(6).lowercased()
        let result = try env.run(["snapshots"], environment: ["SILO_REPOSITORY": "s3:http://127.0.0.1:18080/\(bucket)/x"])
        XCTAssertEqual(result.status, 10, result.stderr)
        XCTAssertTrue(result.stderr.contains("bucket \(bucket) does not exist"), result.stderr)
    }

    /// `?`, `#` and `//` would make two URLs address one repository: refused before any request.
    func testAmbiguousPrefixesAreRefused() throws {
        for url in ["s3:http://127.0.0.1:18080/test-bucket/a?b", "s3:http://127.0.0.1:18080/test-bucket/a#b",
                    "s3:http://127.0.0.1:18080/test-bucket/a//b", "s3:http://127.0.0.1:18080//test-bucket"] {
            let result = try env.run(["init"], environment: ["SILO_REPOSITORY": url])
            XCTAssertNotEqual(result.status, 0, url)
            XCTAssertTrue(result.stderr.contains("S3 URL"), "\(url): \(result.stderr)")
        }
        try env.expect(0, ["snapshots", "-q"], environment: ["SILO_REPOSITORY": "s3:http://127.0.0.1:18080/test-bucket/\(prefix)/"])
    }

    /// Schemes are case-insensitive: `S3:` is this repository, not a local directory named
    /// `S3:http:`; a prefix with escapes (its one spelling) works end to end.
    func testUpperCaseSchemeAndEscapedPrefix() throws {
        try env.write("src/a", Data("a".utf8))
        try env.expect(0, ["backup", env.path("src"), "-q"], environment: ["SILO_REPOSITORY": "S3:http://127.0.0.1:18080/test-bucket/\(prefix)"])
        XCTAssertEqual(try env.expect(0, ["snapshots", "--json"]).jsonLines.count, 1)
        let escaped = "s3:http://127.0.0.1:18080/test-bucket/\(prefix)/caf%C3%A9%20au%20lait"
        try env.expect(0, ["init", "-q"], environment: ["SILO_REPOSITORY": escaped])
        try env.expect(0, ["backup", env.path("src"), "-q"], environment: ["SILO_REPOSITORY": escaped])
        try env.expect(0, ["check"], environment: ["SILO_REPOSITORY": escaped])
        XCTAssertNotEqual(try env.run(["snapshots"], environment: ["SILO_REPOSITORY": "s3:http://127.0.0.1:18080/test-bucket/\(prefix)/café au lait"]).status, 0)
    }

    /// (unfinished multipart uploads, leases) under this test's prefix.
    private func leftovers() throws -> [Int] {
        let listed = PostgresTestServer.run("/usr/bin/python3", ["-c", Self.uploadsScript, prefix], environment: [:])
        guard listed.status == 0 else { throw PostgresTestServer.TestServerError("listing uploads: \(listed.stderr)") }
        return listed.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
    }

    /// SIGINT in the middle of a multipart upload (packs go up in 5 MiB parts here): the upload
    /// is aborted with the lease removed, not left stored unseen; the next backup works.
    func testSIGINTAbortsAMultipartUpload() throws {
        for i in 0..<6 { try env.write("src/part\(i).bin", pseudoRandomBytes(5_000_000, seed: UInt64(90 + i))) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLIEnvironment.binary)
        process.arguments = ["backup", env.path("src")]
        process.environment = env.environment.merging(["SILO_TEST_S3_MULTIPART_MIB": "1"]) { $1 }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Stopped, then looked at: an upload seen while the process runs may complete before
        // the stop lands, so the process is stopped first and let go again until one is open.
        let deadline = Date().addingTimeInterval(60)
        var open = 0
        while process.isRunning && Date() < deadline {
            kill(process.processIdentifier, SIGSTOP)
            open = try leftovers().first ?? 0
            if open > 0 { break }
            kill(process.processIdentifier, SIGCONT)
            usleep(20_000)
        }
        XCTAssertGreaterThan(open, 0, "a multipart upload is under way")
        kill(process.processIdentifier, SIGINT)
        kill(process.processIdentifier, SIGCONT)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130, stderr)
        XCTAssertEqual(try leftovers(), [0, 0], "no unfinished upload, no lease")
        try env.expect(0, ["check"])
        try env.expect(0, ["backup", env.path("src"), "-q"], environment: ["SILO_TEST_S3_MULTIPART_MIB": "1"])
        try env.expect(0, ["restore", "latest", "--target", env.path("out"), "-q"])
        XCTAssertEqual(FileManager.default.contents(atPath: env.path("out") + env.path("src/part5.bin")), pseudoRandomBytes(5_000_000, seed: 95))
    }
}
