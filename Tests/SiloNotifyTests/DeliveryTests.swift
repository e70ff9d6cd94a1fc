import Foundation
import SiloConfig
import XCTest
@testable import SiloNotify

/// Delivery against the real HTTP receiver: retries with the backoff doubling (the sleeps
/// recorded, not slept), one channel that cannot be reached never blocking another, signed
/// webhooks, healthchecks pings with the body opt-in and capped, and secrets resolved safely.
final class DeliveryTests: XCTestCase {
    private let servers = NotifyTestServers.shared

    override func setUpWithError() throws { try servers.start() }

    private final class Sleeps: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Duration] = []
        func record(_ d: Duration) { lock.withLock { values.append(d) } }
        var all: [Duration] { lock.withLock { values } }
    }

    private func notification(_ mark: String) -> SiloNotify.Notification {
        SiloNotify.Notification(event: .problem, severity: .critical, check: "freshness/database", host: "web1", source: "database",
                                summary: "newest snapshot 11h old \(mark)", since: Date(timeIntervalSince1970: 1_796_000_000), advice: "run silo run", tier: 1)
    }

    func testRetriesBackOffAndOneDeadChannelDoesNotBlockAnother() throws {
        let mark = UUID().uuidString.lowercased()
        let sleeps = Sleeps()
        let delivery = Delivery(attempts: 3, backoff: .seconds(1), timeout: .seconds(5), sleep: { sleeps.record($0) })
        let flaky = servers.httpURL + "/fail-2/\(mark)"
        let channels = [
            ChannelSettings(name: "flaky", kind: .webhook(url: .value(flaky), secret: nil)),
            ChannelSettings(name: "dead", kind: .webhook(url: .value("http://127.0.0.1:9/\(mark)-secret-path"), secret: nil)),
        ]
        let results = delivery.send(notification(mark), to: channels)
        let byName = Dictionary(uniqueKeysWithValues: results.map { ($0.channel, $0) })
        XCTAssertEqual(byName["flaky"]?.succeeded, true)
        XCTAssertEqual(byName["flaky"]?.attempts, 3, "two 500s, then 200")
        XCTAssertEqual(byName["dead"]?.succeeded, false)
        XCTAssertEqual(byName["dead"]?.attempts, 3)
        XCTAssertFalse(byName["dead"]?.error?.contains("secret-path") ?? true, byName["dead"]?.error ?? "")
        XCTAssertTrue(byName["dead"]?.error?.contains("127.0.0.1") ?? false, byName["dead"]?.error ?? "")
        XCTAssertEqual(try servers.requests(containing: mark).count, 3)
        // Each channel backs off 1 s, then 2 s.
        XCTAssertEqual(sleeps.all.sorted(), [.seconds(1), .seconds(1), .seconds(2), .seconds(2)])
    }

    func testHealthchecksPingsAndTheBodyCap() throws {
        let mark = UUID().uuidString.lowercased()
        let quiet = ChannelSettings(name: "quiet", kind: .healthchecks(url: .value(servers.httpURL + "/quiet-\(mark)"), sendBody: false))
        let talky = ChannelSettings(name: "talky", kind: .healthchecks(url: .value(servers.httpURL + "/talky-\(mark)"), sendBody: true))
        let delivery = Delivery(attempts: 1)
        let body = String(repeating: "x", count: 150_000)
        for event in [PingEvent.start, .success, .failure] {
            XCTAssertTrue(delivery.ping(event, body: body, to: [quiet, talky]).allSatisfy(\.succeeded))
        }
        // Alerts are not sent to ping channels.
        XCTAssertTrue(delivery.send(notification(mark), to: [quiet]).isEmpty)
        let quietRequests = try servers.requests(containing: "/quiet-\(mark)")
        XCTAssertEqual(quietRequests.map(\.path), ["/quiet-\(mark)/start", "/quiet-\(mark)", "/quiet-\(mark)/fail"])
        XCTAssertTrue(quietRequests.allSatisfy { $0.body.isEmpty }, "a body only when asked for")
        let talkyRequests = try servers.requests(containing: "/talky-\(mark)")
        XCTAssertEqual(talkyRequests.count, 3)
        for request in talkyRequests where request.path != "/talky-\(mark)/start" {
            XCTAssertEqual(request.body.count, HealthchecksChannel.bodyLimit, "capped at 100 kB")
        }
    }

    func testSecretsFromFilesAndCommands() throws {
        let directory = NSTemporaryDirectory() + "silo-secret-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/hook"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("https://hooks.example/T/B/XYZ\n".utf8), attributes: [.posixPermissions: 0o600]))
        let resolver = SecretResolver()
        XCTAssertEqual(try resolver.resolve(.file(file)), "https://hooks.example/T/B/XYZ")
        XCTAssertEqual(try resolver.resolve(.command("printf 'from-a-command\\n'")), "from-a-command")
        chmod(file, 0o644)
        XCTAssertThrowsError(try resolver.resolve(.file(file))) { error in
            XCTAssertFalse("\(error)".contains("XYZ"), "\(error)")
            XCTAssertTrue("\(error)".contains(file), "\(error)")
        }
        // What the failing command printed (hidden-42, not in the command's text) is never quoted.
        XCTAssertThrowsError(try resolver.resolve(.command("echo hidden-$((40 + 2)); exit 3"))) { error in
            XCTAssertFalse("\(error)".contains("hidden-42"), "\(error)")
            XCTAssertTrue("\(error)".contains("exit status 3"), "\(error)")
        }
    }
}
