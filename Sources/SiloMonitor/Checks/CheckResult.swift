import Foundation
import SiloConfig

/// What one monitor check found: a state, a line for people, what to do, and the figures it
/// judged by (its Prometheus samples and Nagios perfdata).
public struct CheckResult: Sendable, Equatable {
    public enum Category: String, Sendable, CaseIterable {
        case freshness, runs, size, integrity, space, retention, copies, drills, hygiene, notifications
    }

    /// Stable across evaluations (`freshness/database`): what alert states are keyed by and
    /// what `silo alerts ack` names.
    public var id: String
    public var category: Category
    public var source: String?
    public var severity: AlertSeverity
    public var summary: String
    public var advice: String?
    public var metrics: [Metric]

    public init(id: String, category: Category, source: String? = nil, severity: AlertSeverity, summary: String,
                advice: String? = nil, metrics: [Metric] = []) {
        self.id = id
        self.category = category
        self.source = source
        self.severity = severity
        self.summary = summary
        self.advice = advice
        self.metrics = metrics
    }
}

/// One sample. `perfdata` samples also go into the Nagios line, with the check's thresholds.
public struct Metric: Sendable, Equatable {
    public var name: String
    public var help: String
    public var labels: [(String, String)]
    public var value: Double
    /// Nagios' unit of measure ("s", "B", "%", "" for a count); nil: not perfdata.
    public var perfdataUnit: String?
    public var warning: Double?
    public var critical: Double?

    public init(_ name: String, _ value: Double, labels: [(String, String)] = [], help: String, perfdataUnit: String? = nil,
                warning: Double? = nil, critical: Double? = nil) {
        self.name = name
        self.help = help
        self.labels = labels
        self.value = value
        self.perfdataUnit = perfdataUnit
        self.warning = warning
        self.critical = critical
    }

    public static func == (lhs: Metric, rhs: Metric) -> Bool {
        lhs.name == rhs.name && lhs.value == rhs.value && lhs.labels.map(\.0) == rhs.labels.map(\.0) && lhs.labels.map(\.1) == rhs.labels.map(\.1)
            && lhs.perfdataUnit == rhs.perfdataUnit && lhs.warning == rhs.warning && lhs.critical == rhs.critical
    }
}

/// The state for a value against "warning above, critical above" thresholds.
func severity(_ value: Double, warningAbove warning: Double, criticalAbove critical: Double) -> AlertSeverity {
    value > critical ? .critical : value > warning ? .warning : .ok
}

/// The state for a value against "warning below, critical below" thresholds.
func severity(_ value: Double, warningBelow warning: Double, criticalBelow critical: Double) -> AlertSeverity {
    value < critical ? .critical : value < warning ? .warning : .ok
}
