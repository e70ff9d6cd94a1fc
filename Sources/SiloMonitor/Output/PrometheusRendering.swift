import Foundation
import SiloConfig
import SiloEngine

/// The report in Prometheus' text exposition format (what node_exporter's textfile collector
/// reads): every sample of a name together under one HELP and TYPE, all gauges.
public enum PrometheusRendering {
    public static func render(_ report: MonitorReport) -> String {
        var metrics: [Metric] = [Metric("silo_build_info", 1, labels: [("version", SiloVersion.current)], help: "The silo that wrote these metrics.")]
        metrics.append(Metric("silo_monitor_timestamp_seconds", report.generated.timeIntervalSince1970.rounded(), help: "When the checks were made."))
        metrics.append(Metric("silo_monitor_status", Double(NagiosRendering.code(report.severity)),
                              help: "The worst state of all checks: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."))
        for check in report.checks {
            metrics.append(Metric("silo_check_status", Double(NagiosRendering.code(check.severity)),
                                  labels: [("check", check.id), ("category", check.category.rawValue)],
                                  help: "The state of one monitor check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."))
            metrics += check.metrics
        }
        var order: [String] = []
        var byName: [String: [Metric]] = [:]
        for metric in metrics {
            if byName[metric.name] == nil { order.append(metric.name) }
            byName[metric.name, default: []].append(metric)
        }
        var text = ""
        for name in order {
            let samples = byName[name]!
            text += "# HELP \(name) \(escapeHelp(samples[0].help))\n# TYPE \(name) gauge\n"
            var seen = Set<String>()
            for sample in samples {
                let labels = sample.labels.isEmpty ? "" : "{" + sample.labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
                // The same series twice (two checks reporting one figure) would be rejected by Prometheus.
                guard seen.insert(labels).inserted else { continue }
                text += "\(name)\(labels) \(format(sample.value))\n"
            }
        }
        return text
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    private static func escapeLabel(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// node_exporter's textfile collector reads every `*.prom` file of a directory at each scrape:
/// written beside it under another name, then renamed, so a scrape never sees half a file.
public enum PrometheusTextfile {
    public static let fileName = "silo.prom"

    public static func write(_ text: String, directory: String) throws {
        let target = (directory as NSString).appendingPathComponent(fileName)
        let temporary = (directory as NSString).appendingPathComponent(".\(fileName).\(getpid()).tmp")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw MonitorError("cannot write the metrics into \(directory): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let message = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw MonitorError("cannot write the metrics into \(directory): \(message)")
            }
            written += n
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(temporary, target) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporary)
            throw MonitorError("cannot write the metrics into \(directory): \(message)")
        }
    }
}

/// A monitor failure that is not a finding: it could not write, read or send.
public struct MonitorError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
