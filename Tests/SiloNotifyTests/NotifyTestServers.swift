import Foundation
import XCTest

/// The receivers the tests deliver to, started by `scripts/notify-test-servers.sh` (idempotent;
/// `make test` runs it first): SMTP, HTTP and HTTPS on loopback, each recording what it gets as
/// a JSON file under `directory`, and the test CA the HTTPS and TLS ports are signed by.
final class NotifyTestServers: @unchecked Sendable {
    static let shared = NotifyTestServers()

    let directory = ProcessInfo.processInfo.environment["SILO_NOTIFY_TEST_DIR"] ?? "/tmp/silo-notify-test"
    let smtpBase = Int(ProcessInfo.processInfo.environment["SILO_NOTIFY_SMTP_PORT"] ?? "") ?? 18525
    let httpPort = Int(ProcessInfo.processInfo.environment["SILO_NOTIFY_HTTP_PORT"] ?? "") ?? 18590
    let httpsPort = Int(ProcessInfo.processInfo.environment["SILO_NOTIFY_HTTPS_PORT"] ?? "") ?? 18591
    let smtpUser = "silo"

    /// Plain, STARTTLS optional, no AUTH.
    var relayPort: Int { smtpBase }
    /// STARTTLS and AUTH required, PLAIN and LOGIN offered.
    var submissionPort: Int { smtpBase + 1 }
    /// Implicit TLS, AUTH required.
    var smtpsPort: Int { smtpBase + 2 }
    /// STARTTLS and AUTH required, LOGIN alone offered.
    var loginOnlyPort: Int { smtpBase + 3 }
    /// Plain, no STARTTLS offered.
    var noTLSPort: Int { smtpBase + 4 }

    var caFile: String { directory + "/tls/ca.pem" }
    /// A CA that signed nothing the receivers show.
    var otherCAFile: String { directory + "/tls/other-ca.pem" }
    var httpURL: String { "http://127.0.0.1:\(httpPort)" }
    var httpsURL: String { "https://127.0.0.1:\(httpsPort)" }

    private let lock = NSLock()
    private var startError: String??

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
            + "/scripts/notify-test-servers.sh"
    }

    struct Unavailable: Error, CustomStringConvertible { let description: String }

    func start() throws {
        let error: String? = lock.withLock {
            if startError == nil {
                let result = TestProcess.run([Self.script, "start"])
                startError = .some(result.status == 0 ? nil : "cannot start the notification receivers: \(result.output)")
            }
            return startError ?? nil
        }
        if let error { throw Unavailable(description: error) }
    }

    var smtpPassword: String {
        get throws { try String(contentsOfFile: directory + "/smtp-password", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// A path no other test uses, so that its records are its own.
    func uniquePath(_ prefix: String = "") -> String { prefix + "/t-" + UUID().uuidString.lowercased() }

    /// The HTTP requests recorded whose path contains `marker`, oldest first.
    func requests(containing marker: String) throws -> [RecordedRequest] {
        try records(in: "http", as: RecordedRequest.self).filter { $0.path.contains(marker) }
    }

    /// The mails recorded whose raw data contains `marker`, oldest first.
    func mails(containing marker: String) throws -> [RecordedMail] {
        try records(in: "mail", as: RecordedMail.self).filter { $0.raw.contains(marker) }
    }

    /// Every recorded mail, for tests whose marker is encoded in the message.
    func allMails() throws -> [RecordedMail] { try records(in: "mail", as: RecordedMail.self) }

    private func records<Record: Decodable>(in folder: String, as _: Record.Type) throws -> [Record] {
        let path = directory + "/" + folder
        let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
        return try names.map { try JSONDecoder().decode(Record.self, from: Data(contentsOf: URL(fileURLWithPath: path + "/" + $0))) }
    }
}

/// One request the HTTP or HTTPS receiver recorded.
struct RecordedRequest: Decodable {
    var server: String
    var method: String
    var path: String
    var headers: [[String]]
    var body_base64: String
    var status: Int

    var body: Data { Data(base64Encoded: body_base64) ?? Data() }

    func header(_ name: String) -> String? {
        headers.first { $0.first?.lowercased() == name.lowercased() }?.last
    }

    func json() throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: body) as? [String: Any])
    }
}

/// One message the SMTP receiver accepted: the envelope, how it came (TLS, AUTH) and the data.
struct RecordedMail: Decodable {
    var port: Int
    var name: String
    var mail_from: String
    var rcpt_tos: [String]
    var tls: Bool
    var auth_mechanism: String?
    var auth_login: String?
    var data_base64: String

    var data: Data { Data(base64Encoded: data_base64) ?? Data() }
    var raw: String { String(decoding: data, as: UTF8.self) }
}

/// A child process for the tests' independent checks (python3's email parser, openssl's HMAC).
enum TestProcess {
    static func run(_ arguments: [String], input: Data? = nil) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        do { try process.run() } catch { return (-1, "\(error)") }
        if let input {
            stdin.fileHandleForWriting.write(input)
            try? stdin.fileHandleForWriting.close()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// The durations a `Delivery` asked to sleep, instead of sleeping them.
final class SleepRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Duration] = []

    var sleep: @Sendable (Duration) -> Void { { duration in self.lock.withLock { self.recorded.append(duration) } } }
    var durations: [Duration] { lock.withLock { recorded } }
}
