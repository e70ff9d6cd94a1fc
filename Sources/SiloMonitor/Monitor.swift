import Foundation
import SiloConfig

/// `silo monitor`'s verdict: every check, in a fixed order, and the worst state among them.
public struct MonitorReport: Sendable, Equatable {
    public var checks: [CheckResult]
    public var generated: Date

    public var severity: AlertSeverity { checks.map(\.severity).max() ?? .ok }
    public var problems: [CheckResult] { checks.filter { $0.severity != .ok }.sorted { $0.severity > $1.severity } }

    public init(checks: [CheckResult], generated: Date) {
        self.checks = checks
        self.generated = generated
    }
}

public enum Monitor {
    /// Runs every check on `facts`. Pure: no I/O beyond the run history's queries.
    public static func evaluate(_ facts: MonitorFacts) -> MonitorReport {
        var checks: [CheckResult] = []
        checks += FreshnessCheck.evaluate(facts)
        checks += RunChecks.evaluate(facts)
        checks += SizeAnomalyCheck.evaluate(facts)
        checks += IntegrityCheck.evaluate(facts)
        checks += SpaceCheck.evaluate(facts)
        checks += RetentionComplianceCheck.evaluate(facts)
        checks += CopyLagCheck.evaluate(facts)
        checks += DrillCheck.evaluate(facts)
        checks += HygieneCheck.evaluate(facts)
        checks += DeliveryCheck.evaluate(facts)
        return MonitorReport(checks: checks, generated: facts.now)
    }
}

/// Durations for people: 45s, 12m, 5h 10m, 3d 4h.
enum Age {
    static func text(_ seconds: TimeInterval) -> String {
        let s = Int(max(0, seconds))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86_400 { return s % 3600 >= 60 ? "\(s / 3600)h \(s % 3600 / 60)m" : "\(s / 3600)h" }
        return s % 86_400 >= 3600 ? "\(s / 86_400)d \(s % 86_400 / 3600)h" : "\(s / 86_400)d"
    }

    static func seconds(_ duration: Duration) -> TimeInterval { TimeInterval(duration.components.seconds) }
}

/// Byte counts for people (binary units, as silo prints them elsewhere).
enum Bytes {
    static func text(_ bytes: UInt64) -> String { text(Double(bytes)) }
    static func text(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = bytes
        var unit = 0
        while abs(value) >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(Int(value)) B" : String(format: "%.1f %@", value, units[unit])
    }
}
