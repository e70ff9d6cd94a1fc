import Foundation
import SiloConfig
import SiloOps
import XCTest
@testable import SiloMonitor

/// Escalation's state machine on an injected clock: hold, tiers and their delays, reminders,
/// acknowledgement, resolution, and each channel's minimum severity.
final class EscalationTests: XCTestCase {
    private let minute: TimeInterval = 60

    /// The seed's tiers: the DevOps team at once, the development lead after 30 minutes of
    /// critical, the CTO after 2 hours.
    private func seedSettings(hold: Int = 1, remind: Duration? = .seconds(4 * 3600)) -> NotificationSettings {
        let hook = { (name: String, minimum: AlertSeverity) in
            ChannelSettings(name: name, kind: .webhook(url: .value("https://hooks.example/\(name)"), secret: nil), minSeverity: minimum)
        }
        return NotificationSettings(channels: [hook("devops", .warning), hook("devops-pager", .critical), hook("lead", .warning), hook("cto", .warning)],
                                    tiers: [TierSettings(after: .zero, severity: .warning, channels: ["devops", "devops-pager"]),
                                            TierSettings(after: .seconds(30 * 60), severity: .critical, channels: ["lead"]),
                                            TierSettings(after: .seconds(2 * 3600), severity: .critical, channels: ["cto"])],
                                    hold: hold, remind: remind)
    }

    private func report(_ severity: AlertSeverity, at now: Date) -> MonitorReport {
        MonitorReport(checks: [CheckResult(id: "freshness/database", category: .freshness, source: "database", severity: severity, summary: "state \(severity.rawValue)")],
                      generated: now)
    }

    /// Runs evaluations at the given minutes with the given states; returns what was sent at each, as `EVENT tier:CHANNELS`.
    private func play(_ settings: NotificationSettings, _ steps: [(minute: Double, state: AlertSeverity)], ack: Double? = nil) -> [String] {
        let escalation = Escalation(settings: settings)
        var records: [String: AlertRecord] = [:]
        var log: [String] = []
        for step in steps {
            if let ack, step.minute >= ack, var record = records["freshness/database"], !record.acknowledged, record.state != .ok, log.count > 0 {
                record.acknowledged = true
                records[record.check] = record
            }
            let now = Fixture.start.addingTimeInterval(step.minute * minute)
            let (new, sent) = escalation.evaluate(report(step.state, at: now), previous: records, now: now)
            for record in new { records[record.check] = record }
            log += sent.map { "\(Int(step.minute)) \($0.event.rawValue) \($0.severity.rawValue) t\($0.tier):\($0.channels.map(\.name).joined(separator: ","))" }
        }
        return log
    }

    func testTheSeedsTiersTakeOverWhileCriticalLastsAndResolvedGoesToEveryoneTold() {
        let log = play(seedSettings(), [(0, .ok), (5, .warning), (10, .critical), (35, .critical), (41, .critical), (129, .critical), (131, .critical), (140, .ok)])
        XCTAssertEqual(log, [
            "5 problem warning t1:devops",                 // the pager only hears of critical
            "10 problem critical t1:devops,devops-pager",  // a change of state goes to the tiers told
            "41 escalation critical t2:lead",              // 30 minutes of critical (from 10)
            "131 escalation critical t3:cto",              // 2 hours of critical
            "140 resolved critical t3:devops,devops-pager,lead,cto",
        ])
    }

    func testAStateMustHoldBeforeItNotifiesSoFlappingStaysQuiet() {
        let flapping = play(seedSettings(hold: 3), [(0, .warning), (5, .ok), (10, .warning), (15, .ok), (20, .warning), (25, .warning), (30, .warning)])
        XCTAssertEqual(flapping, ["30 problem warning t1:devops"])
        // And back: three OKs before "resolved".
        let back = play(seedSettings(hold: 2), [(0, .warning), (5, .warning), (10, .ok), (15, .warning), (20, .ok), (25, .ok)])
        XCTAssertEqual(back, ["5 problem warning t1:devops", "25 resolved warning t1:devops"])
    }

    func testRemindersComeAtTheIntervalAndAnAcknowledgementSilencesThemUntilTheStateChanges() {
        let settings = seedSettings(remind: .seconds(60 * 60))
        let reminded = play(settings, [(0, .warning), (30, .warning), (61, .warning), (100, .warning), (122, .warning)])
        XCTAssertEqual(reminded, ["0 problem warning t1:devops", "61 reminder warning t1:devops", "122 reminder warning t1:devops"])
        // Acknowledged at minute 20: no reminder, no tier 2 for the critical that stays … until the state changes.
        let acknowledged = play(settings, [(0, .critical), (20, .critical), (61, .critical), (122, .critical), (130, .warning), (200, .ok)], ack: 20)
        XCTAssertEqual(acknowledged, ["0 problem critical t1:devops,devops-pager", "130 problem warning t1:devops", "200 resolved warning t1:devops"])
    }

    func testWithoutTiersEveryChannelIsToldAtOnceAboveItsMinimum() {
        let settings = NotificationSettings(channels: [
            ChannelSettings(name: "slack", kind: .slack(webhookURL: .value("https://hooks.slack.com/services/T/B/X"))),
            ChannelSettings(name: "mail", kind: .webhook(url: .value("https://example/m"), secret: nil), minSeverity: .critical),
            ChannelSettings(name: "ping", kind: .healthchecks(url: .value("https://hc-ping.com/x"), sendBody: false)),
        ], remind: nil)
        XCTAssertEqual(play(settings, [(0, .warning), (10, .critical), (20, .ok)]),
                       ["0 problem warning t1:slack", "10 problem critical t1:slack,mail", "20 resolved critical t1:slack,mail"])
    }

    func testUnknownIsAProblemAndACheckSeenFirstAsAProblemIsNews() {
        XCTAssertEqual(play(seedSettings(), [(0, .unknown)]), ["0 problem unknown t1:devops"])
    }

    func testTheLedgerKeepsStatesAndDeliveriesAcrossEvaluations() throws {
        let clock = TestClock(Fixture.start)
        let history = try Fixture.history(clock)
        let ledger = AlertLedger(history: history, configuration: "/etc/silo/silo.yaml")
        let escalation = Escalation(settings: seedSettings())
        let (records, sent) = escalation.evaluate(report(.critical, at: clock.now), previous: try ledger.alerts(), now: clock.now)
        XCTAssertEqual(sent.count, 1)
        try ledger.save(records, deliveries: [DeliveryRecord(time: clock.now, check: "freshness/database", event: "problem", severity: .critical,
                                                             channel: "devops", succeeded: false, attempts: 3, error: "devops: 127.0.0.1 refused the connection")])
        // A new process reads the same state: tier 1 is not told twice; tier 2 follows after 30 minutes.
        let reopened = AlertLedger(history: try RunHistory(path: history.path, now: clock.function), configuration: "/etc/silo/silo.yaml")
        clock.advance(10 * minute)
        XCTAssertTrue(escalation.evaluate(report(.critical, at: clock.now), previous: try reopened.alerts(), now: clock.now).dispatches.isEmpty)
        clock.advance(21 * minute)
        XCTAssertEqual(escalation.evaluate(report(.critical, at: clock.now), previous: try reopened.alerts(), now: clock.now).dispatches.map(\.tier), [2])
        XCTAssertEqual(try reopened.lastDeliveries()["devops"]?.succeeded, false)
        XCTAssertEqual(try reopened.acknowledge("freshness/database")?.state, .critical)
        XCTAssertEqual(try reopened.alerts()["freshness/database"]?.acknowledged, true)
        XCTAssertNil(try reopened.acknowledge("space/repository"))
    }
}
