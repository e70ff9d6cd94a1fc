import Foundation
import SiloConfig

/// One line for Nagios, Icinga and their kin: `SILO STATE - summary | perfdata`, exit code 0–3
/// (the monitoring-plugins guidelines). Unlike Barman's check, a warning is a WARNING.
public enum NagiosRendering {
    public static func code(_ severity: AlertSeverity) -> Int32 {
        switch severity {
        case .ok: 0
        case .warning: 1
        case .critical: 2
        case .unknown: 3
        }
    }

    public static func render(_ report: MonitorReport) -> String {
        let state = report.severity.rawValue.uppercased()
        let problems = report.problems
        let summary = problems.isEmpty
            ? "\(report.checks.count) checks OK"
            : problems.prefix(3).map { "\($0.id): \($0.summary)" }.joined(separator: "; ") + (problems.count > 3 ? "; and \(problems.count - 3) more" : "")
        let perfdata = report.checks.flatMap(\.metrics).compactMap(perf)
        var line = "SILO \(state) - " + summary.replacingOccurrences(of: "|", with: "/").replacingOccurrences(of: "\n", with: " ")
        if !perfdata.isEmpty { line += " | " + perfdata.joined(separator: " ") }
        return line
    }

    /// `'label'=value[UOM];[warn];[crit];[min];[max]`; the label names the metric and its labels.
    private static func perf(_ metric: Metric) -> String? {
        guard let unit = metric.perfdataUnit else { return nil }
        let suffix = metric.labels.map { "_" + $0.1 }.joined()
        let label = (metric.name.replacingOccurrences(of: "silo_", with: "") + suffix).replacingOccurrences(of: "'", with: "_")
            .replacingOccurrences(of: "=", with: "_")
        let number = { (value: Double?) in value.map(PrometheusRendering.format) ?? "" }
        var fields = ["\(PrometheusRendering.format(metric.value))\(unit)", number(metric.warning), number(metric.critical), unit == "%" ? "0" : "", unit == "%" ? "100" : ""]
        while fields.count > 1, fields.last == "" { fields.removeLast() }
        return "'\(label)'=" + fields.joined(separator: ";")
    }
}
