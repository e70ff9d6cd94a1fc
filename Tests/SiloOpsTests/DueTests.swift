import Foundation
import SiloConfig
@testable import SiloOps
import XCTest

/// What is due: from the last success and the cadence, a quarter of the cadence early (30
/// minutes at most); the read-data rotation through fixed groups of packs.
final class DueTests: XCTestCase {
    private let now = Date(timeIntervalSince1970: 1_800_000_000)

    func testNeverDoneIsDue() {
        let due = Due.decide(lastSuccess: nil, cadence: Cadence("4h")!, now: now)
        XCTAssertTrue(due.isDue)
        XCTAssertEqual(due.reason, "never done")
    }

    func testDueOnceTheCadenceLessTheSlackHasPassed() {
        let cadence = Cadence("4h")!
        XCTAssertEqual(Due.slack(cadence), 1_800)
        let early = Due.decide(lastSuccess: now.addingTimeInterval(-(3.5 * 3600) + 1), cadence: cadence, now: now)
        XCTAssertFalse(early.isDue)
        XCTAssertEqual(early.next, now.addingTimeInterval(1))
        XCTAssertEqual(early.reason, "last done 3h 29m ago (cadence 4h); due in 1s")
        XCTAssertTrue(Due.decide(lastSuccess: now.addingTimeInterval(-3.5 * 3600), cadence: cadence, now: now).isDue)
        // A late run (the machine was off) finds the work overdue.
        let late = Due.decide(lastSuccess: now.addingTimeInterval(-3 * 86_400), cadence: cadence, now: now)
        XCTAssertTrue(late.isDue)
        XCTAssertEqual(late.reason, "last done 3d ago (cadence 4h)")
    }

    func testTheSlackIsAQuarterOfAShortCadence() {
        XCTAssertEqual(Due.slack(Cadence("20m")!), 300)
        XCTAssertEqual(Due.slack(Cadence("weekly")!), 1_800)
    }

    func testReadDataGroupsRotateAndRestartWhenTheirNumberChanges() {
        XCTAssertEqual(RunPlan.groupCount(Share("1/30")!), 30)
        XCTAssertEqual(RunPlan.groupCount(Share("10%")!), 10)
        XCTAssertEqual(RunPlan.groupCount(Share("100%")!), 1)
        XCTAssertEqual(RunPlan.nextGroup(after: nil, count: 30).description, "1/30")
        XCTAssertEqual(RunPlan.nextGroup(after: #"{"group":"7/30"}"#, count: 30).description, "8/30")
        XCTAssertEqual(RunPlan.nextGroup(after: #"{"group":"30/30"}"#, count: 30).description, "1/30")
        XCTAssertEqual(RunPlan.nextGroup(after: #"{"group":"7/30"}"#, count: 10).description, "1/10")
        XCTAssertEqual(RunPlan.nextGroup(after: "not json", count: 4).description, "1/4")
    }

    func testNamedSourcesAndForceDecideAlone() throws {
        let configuration = Configuration(file: "/etc/silo/silo.yaml", repository: RepositorySettings(location: "/r", password: nil, cacheDirectory: nil),
                                          sources: [SourceSettings(name: "files", kind: .paths(PathSource(paths: ["/srv"]))),
                                                    SourceSettings(name: "db", kind: .postgres(PostgresSource(url: "postgresql://u@h/db", password: nil)))],
                                          state: StateSettings(directory: "/tmp"))
        let whole = try RunPlan.make(configuration: configuration, history: nil, configurationKey: "k", now: now)
        XCTAssertEqual(whole.sources.map(\.source.name), ["db", "files"], "dumps first")
        XCTAssertTrue(whole.prune.isDue && whole.structureCheck.isDue && whole.readData.isDue)
        let named = try RunPlan.make(configuration: configuration, history: nil, configurationKey: "k", now: now, only: ["files"])
        XCTAssertEqual(named.sources.map(\.source.name), ["files"])
        XCTAssertFalse(named.prune.isDue || named.structureCheck.isDue || named.readData.isDue)
    }
}
