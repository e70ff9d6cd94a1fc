import XCTest
@testable import SiloConfig

/// `monitoring`: every key in its unit, the defaults (the check ages following `checks`), and
/// each mistake named at its position.
final class MonitoringSettingsTests: XCTestCase {
    private let source = "sources:\n  etc:\n    paths: [/etc]\n"

    func testEveryKeyIsRead() throws {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration(minimalRepository + source + """
            monitoring:
              freshness: { warning: 1.5, critical: 3 }
              failures: { warning: 2, critical: 2 }
              size: { window: 5, dump_shrink_critical: 20%, file_loss_critical: 0.15, change_warning: "${CHANGE}" }
              checks: { structure_max_age: 3d, read_data_max_age: 1w }
              space: { free_warning: 20%, free_critical: 0.1, days_to_full_warning: 14.5, days_to_full_critical: 3, quota: 500G, free_bytes_critical: 10GiB }
              copy_lag: 36h
              drill_max_age: 35d
              stale_lock_age: 90m
              textfile: metrics
            """)
        let configuration = try ConfigurationLoader.load(path: file, environment: ["CHANGE": "40%"])
        XCTAssertEqual(configuration.monitoring, MonitoringSettings(
            freshness: .init(warning: 1.5, critical: 3), failures: .init(warning: 2, critical: 2),
            size: .init(window: 5, dumpShrinkCritical: 0.2, fileLossCritical: 0.15, changeWarning: 0.4),
            checkMaxAge: .seconds(3 * 86_400), readDataMaxAge: .seconds(7 * 86_400),
            space: .init(freeWarning: 0.2, freeCritical: 0.1, daysToFullWarning: 14.5, daysToFullCritical: 3,
                         quotaBytes: 500 << 30, freeBytesCritical: 10 << 30),
            copyLag: .seconds(36 * 3_600), drillMaxAge: .seconds(35 * 86_400), staleLockAge: .seconds(90 * 60),
            textfileDirectory: scratch.path("metrics")))
        XCTAssertEqual(configuration.reserved.map(\.name), [])
    }

    func testTheDefaultsFollowTheChecks() throws {
        let scratch = try ConfigScratch()
        let absent = try ConfigurationLoader.load(path: try scratch.configuration(minimalRepository + source), environment: [:])
        var expected = MonitoringSettings()
        expected.checkMaxAge = .seconds(2 * 86_400)
        expected.readDataMaxAge = .seconds(2 * 86_400)
        XCTAssertEqual(absent.monitoring, expected)
        XCTAssertEqual(expected.staleLockAge, .seconds(6 * 3_600))
        XCTAssertEqual(expected.freshness, .init(warning: 1.5, critical: 2.5))
        XCTAssertNil(expected.copyLag)
        XCTAssertNil(expected.textfileDirectory)

        // An empty section is the defaults too; each age not given is twice its own check's cadence.
        let weekly = try ConfigurationLoader.load(path: try scratch.configuration(minimalRepository + source + """
            checks:
              structure: weekly
              read_data: { cadence: 2w, share: 50% }
            monitoring:
              checks: { read_data_max_age: 20d }
              freshness: { critical: 4 }
            """), environment: [:])
        XCTAssertEqual(weekly.monitoring.checkMaxAge, .seconds(14 * 86_400))
        XCTAssertEqual(weekly.monitoring.readDataMaxAge, .seconds(20 * 86_400))
        XCTAssertEqual(weekly.monitoring.freshness, .init(warning: 1.5, critical: 4))
        let empty = try ConfigurationLoader.load(path: try scratch.configuration(minimalRepository + source + "monitoring:\n"), environment: [:])
        XCTAssertEqual(empty.monitoring, expected)
        // Settings made in code, not loaded, leave the ages to `following`.
        XCTAssertNil(MonitoringSettings().checkMaxAge)
        XCTAssertEqual(MonitoringSettings(checkMaxAge: .seconds(60)).following(CheckSettings()).checkMaxAge, .seconds(60))
    }

    func testEachMistakeIsNamedAtItsPosition() throws {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration(minimalRepository + source + """
            monitoring:
              freshness: { warning: 3, critical: 2.5 }
              failures: { warning: 0 }
              size: { window: many, dump_shrink_critical: 120%, change_warning: 0 }
              checks: { structure_max_age: 12h, read_data_max_age: soon }
              space: { free_warning: 5%, free_critical: 10%, days_to_full_critical: 0, quota: lots }
              copy_lag: 1 day
              freshnes: {}
            """)
        XCTAssertEqual(issues(of: file).map(\.description), [
            "\(file):8:38: monitoring.freshness.critical: warning (3) must be below critical (2.5): a warning comes before it is critical",
            "\(file):9:24: monitoring.failures.warning: must be at least 1, found 0",
            "\(file):10:19: monitoring.size.window: expected a whole number, found 'many'",
            "\(file):10:47: monitoring.size.dump_shrink_critical: '120%' is not a share: expected N% (0 < N ≤ 100) or a fraction above 0 and at most 1 (0.2)",
            "\(file):10:69: monitoring.size.change_warning: '0' is not a share: expected N% (0 < N ≤ 100) or a fraction above 0 and at most 1 (0.2)",
            "\(file):11:32: monitoring.checks.structure_max_age: 12h is shorter than checks.structure (daily): every check would be late before the next one is due",
            "\(file):11:56: monitoring.checks.read_data_max_age: 'soon' is not a duration: expected a number and a unit, one of s, m, h, d, w (30s, 10m, 1h)",
            "\(file):12:45: monitoring.space.free_critical: free_warning (5%) must be above free_critical (10%): a warning comes before it is critical",
            "\(file):12:73: monitoring.space.days_to_full_critical: must be above 0, found 0",
            "\(file):12:83: monitoring.space.quota: 'lots' is not a size: expected a number of bytes, optionally with K, M, G, T or P (binary: 1G = 1024³ bytes)",
            "\(file):13:13: monitoring.copy_lag: '1 day' is not a duration: expected a number and a unit, one of s, m, h, d, w (30s, 10m, 1h)",
            "\(file):14:3: monitoring.freshnes: unknown key 'freshnes'; did you mean 'freshness'?",
        ])
    }

    /// A threshold given alone is checked against its partner's default; equal failure counts
    /// are allowed (critical at the first failure).
    func testAThresholdAloneIsCheckedAgainstTheDefault() throws {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration(minimalRepository + source + """
            monitoring:
              freshness: { warning: 2.5 }
              space: { days_to_full_critical: 45 }
              failures: { critical: 1 }
              textfile: ""
            """)
        XCTAssertEqual(issues(of: file).map(\.description), [
            "\(file):8:25: monitoring.freshness.warning: warning (2.5) must be below critical (2.5): a warning comes before it is critical",
            "\(file):9:35: monitoring.space.days_to_full_critical: days_to_full_warning (30) must be above days_to_full_critical (45): a warning comes before it is critical",
            "\(file):11:13: monitoring.textfile: is empty: expected a directory",
        ])
    }

    /// What `config show` prints of the section reads back as the same settings.
    func testTheEffectiveSectionReadsBackTheSame() throws {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration(minimalRepository + source + """
            monitoring:
              freshness: { warning: 1.25, critical: 2 }
              size: { change_warning: 0.123 }
              space: { free_warning: 7%, quota: 1536M, free_bytes_critical: 1000 }
              copy_lag: 48h
              textfile: /var/lib/prometheus/node-exporter
            """)
        let configuration = try ConfigurationLoader.load(path: file, environment: [:])
        let shown = configuration.yaml(masked: false)
        for line in ["warning: 1.25", "critical: 2\n", "change_warning: 0.123", "free_warning: 7%", "quota: 1536M", "free_bytes_critical: 1000\n",
                     "copy_lag: 2d", "structure_max_age: 2d", "stale_lock_age: 6h", "dump_shrink_critical: 20%"] {
            XCTAssertTrue(shown.contains(line), "\(line) missing:\n\(shown)")
        }
        var again = try ConfigurationLoader.load(path: try scratch.write("shown.yaml", shown), environment: [:])
        again.file = configuration.file
        XCTAssertEqual(again.monitoring, configuration.monitoring)
        XCTAssertEqual(again, configuration)
    }

    func testQuantities() {
        XCTAssertEqual(Quantities.share("20%"), 0.2)
        XCTAssertEqual(Quantities.share("0.2"), 0.2)
        XCTAssertEqual(Quantities.share("100%"), 1)
        XCTAssertNil(Quantities.share("0%"))
        XCTAssertNil(Quantities.share("1.5"))
        XCTAssertNil(Quantities.share("nan"))
        XCTAssertEqual(Quantities.byteCount("500G"), 500 << 30)
        XCTAssertEqual(Quantities.byteCount("2TiB"), 2 << 40)
        XCTAssertEqual(Quantities.byteCount("10kb"), 10 << 10)
        XCTAssertNil(Quantities.byteCount("1.5G"))
        XCTAssertNil(Quantities.byteCount("G"))
        XCTAssertNil(Quantities.byteCount("99999999P"))
        XCTAssertEqual(Quantities.byteSpelling(1536 << 20), "1536M")
        XCTAssertEqual(Quantities.byteSpelling(3 << 50), "3P")
        XCTAssertEqual(Quantities.byteSpelling(1000), "1000")
        XCTAssertEqual(Quantities.duration("0", allowZero: true), .zero)
        XCTAssertEqual(Quantities.duration("00m", allowZero: true), .zero)
        XCTAssertNil(Quantities.duration("0", allowZero: false))
        XCTAssertNil(Quantities.duration("-0m", allowZero: true))
        XCTAssertEqual(Quantities.durationSpelling(.seconds(14 * 86_400)), "2w")
        XCTAssertEqual(Quantities.durationSpelling(.seconds(36 * 3_600)), "36h")
        XCTAssertEqual(Quantities.durationSpelling(.seconds(90)), "90s")
        XCTAssertEqual(Quantities.durationSpelling(.zero), "0")
        XCTAssertEqual(Quantities.shareValue(0.07), .string("7%"))
        XCTAssertEqual(Quantities.shareValue(0.123), .number(0.123))
        XCTAssertEqual(Quantities.numberValue(30), .integer(30))
        XCTAssertEqual(Quantities.numberValue(14.5), .number(14.5))
    }
}
