import Foundation
import SiloConfig
@testable import SiloNotify
// Foundation has a Notification too; this import makes the name SiloNotify's in this file.
import struct SiloNotify.Notification
import XCTest

/// Slack incoming webhooks against the HTTPS receiver: the Block Kit shape Slack renders, and
/// the plain-HTTP refusal (the URL is the credential).
final class SlackChannelTests: XCTestCase {
    private let servers = NotifyTestServers.shared

    override func setUpWithError() throws { try servers.start() }

    private func delivery() -> Delivery {
        var delivery = Delivery(attempts: 1)
        delivery.httpsCAFile = servers.caFile
        return delivery
    }

    func testBlocksAndFallbackText() throws {
        let path = servers.uniquePath("/services/T000/B000")
        let since = Date(timeIntervalSince1970: 1_709_647_380)
        let notification = Notification(event: .problem, severity: .critical, check: "freshness/database", host: "web1", source: "database",
                                        summary: "last backup 30 h ago (limit 26 h) <@here>", since: since,
                                        advice: "run `silo run` and read its log", tier: 2)
        let channel = ChannelSettings(name: "ops", kind: .slack(webhookURL: .value(servers.httpsURL + path)))
        let results = delivery().send(notification, to: [channel])
        XCTAssertEqual(results, [DeliveryResult(channel: "ops", succeeded: true, attempts: 1)])

        let request = try XCTUnwrap(try servers.requests(containing: path).first)
        XCTAssertEqual(request.server, "https")
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.header("Content-Type"), "application/json; charset=utf-8")
        let body = try request.json()
        let text = try XCTUnwrap(body["text"] as? String)
        XCTAssertTrue(text.contains("CRITICAL: freshness/database on web1"), text)
        XCTAssertTrue(text.contains("last backup 30 h ago"), text)
        let blocks = try XCTUnwrap(body["blocks"] as? [[String: Any]])
        XCTAssertEqual(blocks.map { $0["type"] as? String }, ["header", "section", "section", "context"])

        let header = try XCTUnwrap(blocks[0]["text"] as? [String: Any])
        XCTAssertEqual(header["type"] as? String, "plain_text")
        XCTAssertTrue((header["text"] as? String ?? "").contains("CRITICAL: freshness/database"), "\(header)")

        let summary = try XCTUnwrap(blocks[1]["text"] as? [String: Any])
        XCTAssertEqual(summary["type"] as? String, "mrkdwn")
        // mrkdwn markup in a check's text is escaped: no @here ping from a summary.
        XCTAssertEqual(summary["text"] as? String, "last backup 30 h ago (limit 26 h) &lt;@here&gt;")

        let fields = try XCTUnwrap(blocks[2]["fields"] as? [[String: Any]]).compactMap { $0["text"] as? String }
        XCTAssertEqual(fields, ["*Host*\nweb1", "*Source*\ndatabase", "*Since*\n2024-03-05T14:03:00Z", "*Tier*\n2"])

        let context = try XCTUnwrap(blocks[3]["elements"] as? [[String: Any]])
        XCTAssertEqual(context.first?["text"] as? String, "run `silo run` and read its log")
    }

    /// Without source, since and advice: those fields and the context block are left out.
    func testOptionalPartsLeftOut() throws {
        let path = servers.uniquePath("/services")
        let notification = Notification(event: .resolved, severity: .ok, check: "disk/backup", host: "web1", summary: "87% free")
        let results = delivery().send(notification, to: [ChannelSettings(name: "ops", kind: .slack(webhookURL: .value(servers.httpsURL + path)))])
        XCTAssertTrue(results.allSatisfy(\.succeeded), "\(results)")
        let body = try XCTUnwrap(try servers.requests(containing: path).first).json()
        let blocks = try XCTUnwrap(body["blocks"] as? [[String: Any]])
        XCTAssertEqual(blocks.map { $0["type"] as? String }, ["header", "section", "section"])
        let fields = try XCTUnwrap(blocks[2]["fields"] as? [[String: Any]]).compactMap { $0["text"] as? String }
        XCTAssertEqual(fields, ["*Host*\nweb1", "*Tier*\n1"])
        XCTAssertTrue((body["text"] as? String ?? "").contains("RESOLVED: disk/backup on web1"))
    }

    /// Slack's URL is its credential: plain HTTP is refused before anything is sent, at once.
    func testPlainHTTPRefused() throws {
        let path = servers.uniquePath("/services/T111/B111/plainhttpsecret")
        let results = delivery().send(Notification(severity: .warning, check: "c", host: "h", summary: "s"),
                                      to: [ChannelSettings(name: "ops", kind: .slack(webhookURL: .value(servers.httpURL + path)))])
        XCTAssertEqual(results.count, 1)
        XCTAssertFalse(results[0].succeeded)
        XCTAssertEqual(results[0].attempts, 1)
        let error = try XCTUnwrap(results[0].error)
        XCTAssertTrue(error.hasPrefix("slack channel ops: http://127.0.0.1:\(servers.httpPort)"), error)
        XCTAssertFalse(error.contains("plainhttpsecret"), error)
        XCTAssertEqual(try servers.requests(containing: path).count, 0)
    }

    /// The receiver's certificate is refused under a CA that did not sign it, and not retried.
    func testWrongCARefusedAtOnce() throws {
        var delivery = Delivery(attempts: 3, sleep: { _ in XCTFail("a certificate problem is not retried") })
        delivery.httpsCAFile = servers.otherCAFile
        let path = servers.uniquePath("/services")
        let results = delivery.send(Notification(severity: .warning, check: "c", host: "h", summary: "s"),
                                    to: [ChannelSettings(name: "ops", kind: .slack(webhookURL: .value(servers.httpsURL + path)))])
        XCTAssertEqual(results.first?.succeeded, false)
        XCTAssertEqual(results.first?.attempts, 1)
        XCTAssertTrue(results.first?.error?.contains("certificate") ?? false, "\(results)")
    }
}
