import Foundation
import SiloConfig
@testable import SiloNotify
// Foundation has a Notification too; this import makes the name SiloNotify's in this file.
import struct SiloNotify.Notification
import XCTest

/// E-mail through the SMTP receivers: STARTTLS and implicit TLS with AUTH (PLAIN, and LOGIN
/// where the server offers nothing else), several recipients, and a message Python's own e-mail
/// parser reads back (Date, Message-ID, an RFC 2047 subject in Korean, the body).
final class EmailChannelTests: XCTestCase {
    private let servers = NotifyTestServers.shared

    override func setUpWithError() throws { try servers.start() }

    private func settings(port: Int, security: EmailSettings.Security, auth: Bool = true, password: Secret? = nil,
                          to: [String] = ["ops@example.com"], caFile: String? = nil) throws -> EmailSettings {
        let scheme = security == .tls ? "smtps" : "smtp"
        return EmailSettings(server: "\(scheme)://127.0.0.1:\(port)", security: security, username: auth ? servers.smtpUser : nil,
                             password: auth ? (try password ?? .value(servers.smtpPassword)) : nil,
                             from: "Silo <silo@example.com>", to: to, caFile: caFile ?? servers.caFile)
    }

    private func send(_ notification: Notification, _ settings: EmailSettings, attempts: Int = 1) -> DeliveryResult {
        let results = Delivery(attempts: attempts, backoff: .milliseconds(1)).send(notification, to: [ChannelSettings(name: "mail", kind: .email(settings))])
        XCTAssertEqual(results.count, 1)
        return results[0]
    }

    private func marker() -> String { "m" + UUID().uuidString.prefix(8).lowercased() }

    func testStartTLSWithAuthToSeveralRecipients() throws {
        let mark = marker()
        let result = send(Notification(severity: .critical, check: "freshness/\(mark)", host: "web1", summary: "last backup 30 h ago"),
                          try settings(port: servers.submissionPort, security: .starttls,
                                       to: ["ops@example.com", "Lead <lead@example.com>", "cto@example.com"]))
        XCTAssertEqual(result, DeliveryResult(channel: "mail", succeeded: true, attempts: 1))
        let mail = try XCTUnwrap(try servers.mails(containing: mark).first)
        XCTAssertEqual(mail.name, "submission")
        XCTAssertTrue(mail.tls)
        XCTAssertEqual(mail.auth_mechanism, "PLAIN")
        XCTAssertEqual(mail.auth_login, "silo")
        XCTAssertEqual(mail.mail_from, "silo@example.com")
        XCTAssertEqual(mail.rcpt_tos, ["ops@example.com", "lead@example.com", "cto@example.com"])
        let parsed = try ParsedMail(mail.data)
        XCTAssertEqual(parsed.headers["to"], "ops@example.com, Lead <lead@example.com>, cto@example.com")
    }

    /// The login-only port offers LOGIN alone: libcurl falls back to it.
    func testAuthLogin() throws {
        let mark = marker()
        let result = send(Notification(severity: .warning, check: mark, host: "web1", summary: "s"),
                          try settings(port: servers.loginOnlyPort, security: .starttls))
        XCTAssertTrue(result.succeeded, "\(result)")
        let mail = try XCTUnwrap(try servers.mails(containing: mark).first)
        XCTAssertEqual(mail.auth_mechanism, "LOGIN")
        XCTAssertTrue(mail.tls)
    }

    func testImplicitTLSWithAuth() throws {
        let mark = marker()
        let result = send(Notification(severity: .warning, check: mark, host: "web1", summary: "s"),
                          try settings(port: servers.smtpsPort, security: .tls))
        XCTAssertTrue(result.succeeded, "\(result)")
        let mail = try XCTUnwrap(try servers.mails(containing: mark).first)
        XCTAssertEqual(mail.name, "smtps")
        XCTAssertTrue(mail.tls)
        XCTAssertNotNil(mail.auth_mechanism)
    }

    /// The headers as a mail client reads them: a UTF-8 subject (RFC 2047 words, folded), a Date
    /// that parses, a Message-ID, MIME headers; CRLF line endings throughout.
    func testHeadersAndEncodedSubject() throws {
        let mark = marker()
        let since = Date(timeIntervalSince1970: 1_709_647_380)
        let sent = Date()
        let notification = Notification(severity: .critical, check: "freshness/database", host: "web1.\(mark).example", source: "database",
                                        summary: "백업 실패 — silo", since: since, advice: "데이터베이스를 확인하세요", tier: 2)
        XCTAssertTrue(send(notification, try settings(port: servers.submissionPort, security: .starttls)).succeeded)
        let mail = try XCTUnwrap(try servers.mails(containing: mark).first)
        let raw = mail.data
        // No bare LF: every line of the message ends with CRLF.
        for (index, byte) in raw.enumerated() where byte == 0x0A {
            XCTAssertTrue(index > 0 && raw[index - 1] == 0x0D, "bare LF at byte \(index)")
        }
        XCTAssertTrue(mail.raw.contains("Subject: =?UTF-8?B?"), mail.raw)

        let parsed = try ParsedMail(raw)
        XCTAssertEqual(parsed.defects, [])
        XCTAssertEqual(parsed.headers["subject"], "[silo] CRITICAL: freshness/database on web1.\(mark).example: 백업 실패 — silo")
        let date = try XCTUnwrap(parsed.date)
        XCTAssertEqual(date.timeIntervalSince1970, sent.timeIntervalSince1970, accuracy: 60)
        let messageID = try XCTUnwrap(parsed.headers["message-id"])
        XCTAssertTrue(messageID.hasPrefix("<") && messageID.hasSuffix("@web1.\(mark).example>"), messageID)
        XCTAssertEqual(parsed.headers["from"], "Silo <silo@example.com>")
        XCTAssertEqual(parsed.headers["mime-version"], "1.0")
        XCTAssertEqual(parsed.headers["content-type"]?.lowercased(), "text/plain; charset=\"utf-8\"")
        XCTAssertEqual(parsed.headers["content-transfer-encoding"], "base64")
        XCTAssertEqual(parsed.headers["auto-submitted"], "auto-generated")
        XCTAssertTrue(parsed.body.contains("백업 실패 — silo"), parsed.body)
        XCTAssertTrue(parsed.body.contains("Since:  2024-03-05T14:03:00Z"), parsed.body)
        XCTAssertTrue(parsed.body.contains("데이터베이스를 확인하세요"), parsed.body)
        XCTAssertTrue(parsed.body.contains("Tier:   2"), parsed.body)
    }

    /// A long non-ASCII subject becomes several encoded words of at most 75 characters, never
    /// splitting a character, and decodes back whole.
    func testLongSubjectWords() throws {
        let subject = String(repeating: "백업 실패 — ", count: 12) + "silo"
        let encoded = EmailMessage.encodedWords(subject)
        let words = encoded.components(separatedBy: "\r\n ")
        XCTAssertGreaterThan(words.count, 3)
        for word in words {
            XCTAssertLessThanOrEqual(word.count, 75, word)
            XCTAssertTrue(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="), word)
        }
        let decoded = TestProcess.run(["/usr/bin/python3", "-c", """
            import email.header, sys
            print(str(email.header.make_header(email.header.decode_header(sys.stdin.read()))), end="")
            """], input: Data(encoded.utf8))
        XCTAssertEqual(decoded.status, 0, decoded.output)
        XCTAssertEqual(decoded.output, subject)
    }

    /// An ASCII message goes as 7bit text, and a line holding only "." (the end of DATA) arrives
    /// intact: libcurl dot-stuffs it, the server unstuffs it.
    func testPlainTextAndDotLines() throws {
        let mark = marker()
        let notification = Notification(severity: .warning, check: mark, host: "web1", summary: "s", advice: "first\n.\n..\nlast")
        XCTAssertTrue(send(notification, try settings(port: servers.relayPort, security: .none, auth: false)).succeeded)
        let mail = try XCTUnwrap(try servers.mails(containing: mark).first)
        XCTAssertEqual(mail.name, "relay")
        XCTAssertFalse(mail.tls)
        XCTAssertNil(mail.auth_mechanism)
        XCTAssertTrue(mail.raw.contains("Content-Transfer-Encoding: 7bit\r\n"), mail.raw)
        XCTAssertTrue(mail.raw.contains("\r\nfirst\r\n.\r\n..\r\nlast\r\n"), mail.raw)
    }

    /// `none` never sends credentials: a password with it is a settings error, nothing is sent.
    func testNoPasswordWithoutTLS() throws {
        let password = try servers.smtpPassword
        let result = send(Notification(severity: .warning, check: "c", host: "h", summary: "s"),
                          try settings(port: servers.relayPort, security: .none), attempts: 3)
        XCTAssertFalse(result.succeeded)
        XCTAssertEqual(result.attempts, 1)
        let error = try XCTUnwrap(result.error as String?)
        XCTAssertTrue(error.contains("security is none"), error)
        XCTAssertFalse(error.contains(password), error)
    }

    /// starttls demands STARTTLS: a server that does not offer it is refused, not spoken to in
    /// the clear, and no message arrives.
    func testStartTLSRequired() throws {
        let mark = marker()
        let result = send(Notification(severity: .warning, check: mark, host: "h", summary: "s"),
                          try settings(port: servers.noTLSPort, security: .starttls), attempts: 3)
        XCTAssertFalse(result.succeeded)
        XCTAssertEqual(result.attempts, 1)
        XCTAssertTrue(result.error?.hasPrefix("email channel mail: smtp://127.0.0.1:\(servers.noTLSPort):") ?? false, "\(result)")
        XCTAssertEqual(try servers.mails(containing: mark).count, 0)
    }

    func testWrongPasswordRefusedAtOnce() throws {
        let result = send(Notification(severity: .warning, check: "c", host: "h", summary: "s"),
                          try settings(port: servers.submissionPort, security: .starttls, password: .value("wrong-password-xyzzy")), attempts: 3)
        XCTAssertFalse(result.succeeded)
        XCTAssertEqual(result.attempts, 1)
        let error = try XCTUnwrap(result.error as String?)
        XCTAssertFalse(error.contains("wrong-password-xyzzy"), error)
    }

    func testPasswordFromFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("silo-smtp-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        _ = FileManager.default.createFile(atPath: file, contents: Data((try servers.smtpPassword + "\n").utf8), attributes: [.posixPermissions: 0o600])
        let mark = marker()
        let result = send(Notification(severity: .warning, check: mark, host: "h", summary: "s"),
                          try settings(port: servers.smtpsPort, security: .tls, password: .file(file)))
        XCTAssertTrue(result.succeeded, "\(result)")
        XCTAssertEqual(try servers.mails(containing: mark).count, 1)
    }

    /// The server's scheme and `security` must agree; neither is guessed from the other.
    func testSchemeContradictingSecurity() throws {
        var settings = try settings(port: servers.smtpsPort, security: .starttls)
        settings.server = "smtps://127.0.0.1:\(servers.smtpsPort)"
        let result = send(Notification(severity: .warning, check: "c", host: "h", summary: "s"), settings)
        XCTAssertEqual(result.error, "email channel mail: the server smtps://127.0.0.1:\(servers.smtpsPort) is smtps:// but security is starttls (smtp:// expected)")
    }
}

/// A recorded message as Python's e-mail package (policy.default, the strict modern parser)
/// reads it: an independent check of the headers and the MIME body.
struct ParsedMail {
    var headers: [String: String]
    var date: Date?
    var body: String
    var defects: [String]

    init(_ raw: Data) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("silo-mail-\(UUID().uuidString).eml")
        try raw.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = TestProcess.run(["/usr/bin/python3", "-c", """
            import email, email.policy, email.utils, json, sys
            msg = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
            defects = [str(d) for d in msg.defects]
            for k, v in msg.items():
                defects += [k + ': ' + str(d) for d in getattr(v, 'defects', [])]
            date = email.utils.parsedate_to_datetime(msg['Date'])
            print(json.dumps({'headers': {k.lower(): str(v) for k, v in msg.items()}, 'date': date.timestamp(),
                              'body': msg.get_content(), 'defects': defects}))
            """, file.path])
        guard result.status == 0 else { throw NotifyTestServers.Unavailable(description: "python3 could not parse the message: \(result.output)") }
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        headers = object["headers"] as? [String: String] ?? [:]
        date = (object["date"] as? Double).map { Date(timeIntervalSince1970: $0) }
        body = object["body"] as? String ?? ""
        defects = object["defects"] as? [String] ?? []
    }
}
