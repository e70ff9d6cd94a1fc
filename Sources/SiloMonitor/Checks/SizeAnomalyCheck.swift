import Foundation
import SiloConfig

/// Size anomaly, per source: the newest snapshot's size, file count and bytes added against the
/// median of the `window` snapshots before it. A dump that shrinks by more than 20% or a file
/// source that loses more than 10% of its files is critical: a truncated dump, a deleted folder.
enum SizeAnomalyCheck {
    /// Fewer earlier snapshots than this say nothing about what is normal.
    static let minimumHistory = 3
    /// Bytes added below this are never an anomaly (a quiet source's median is near zero).
    static let addedFloor: Double = 1_048_576

    static func evaluate(_ facts: MonitorFacts) -> [CheckResult] {
        let thresholds = facts.configuration.monitoring.size
        return facts.configuration.sources.map { source in
            let id = "size/\(source.name)"
            let series = facts.series(source)
            guard let newest = series.last else {
                return CheckResult(id: id, category: .size, source: source.name, severity: .ok, summary: "no snapshot yet")
            }
            let summary = newest.snapshot.summary
            let size = Double(summary.totalBytes)
            let files = Double(summary.filesNew + summary.filesChanged + summary.filesUnmodified)
            let added = Double(summary.bytesAdded)
            let labels = [("source", source.name)]
            let metrics = [
                Metric("silo_snapshot_size_bytes", size, labels: labels, help: "Bytes of the files (or dump) in the newest snapshot of the source.",
                       perfdataUnit: "B"),
                Metric("silo_snapshot_files", files, labels: labels, help: "Files in the newest snapshot of the source."),
                Metric("silo_snapshot_added_bytes", added, labels: labels, help: "Bytes the newest snapshot of the source added to the repository (stored)."),
            ]
            let earlier = series.dropLast().suffix(thresholds.window).map(\.snapshot.summary)
            guard earlier.count >= minimumHistory else {
                return CheckResult(id: id, category: .size, source: source.name, severity: .ok,
                                   summary: "\(Bytes.text(summary.totalBytes)), \(Int(files)) file(s); \(earlier.count) earlier snapshot(s), too few to judge",
                                   metrics: metrics)
            }
            let medianSize = median(earlier.map { Double($0.totalBytes) })
            let medianFiles = median(earlier.map { Double($0.filesNew + $0.filesChanged + $0.filesUnmodified) })
            let medianAdded = median(earlier.map { Double($0.bytesAdded) })
            var findings: [(AlertSeverity, String)] = []
            let isDump: Bool = if case .postgres = source.kind { true } else { false }
            if medianSize > 0 {
                let change = (size - medianSize) / medianSize
                if isDump && -change > thresholds.dumpShrinkCritical {
                    findings.append((.critical, "the dump shrank \(percent(-change)) against the median of \(earlier.count) (\(Bytes.text(size)) vs \(Bytes.text(medianSize))): a truncated dump?"))
                } else if abs(change) > thresholds.changeWarning {
                    findings.append((.warning, "size \(change > 0 ? "grew" : "shrank") \(percent(abs(change))) against the median (\(Bytes.text(size)) vs \(Bytes.text(medianSize)))"))
                }
            }
            if medianFiles > 0 {
                let change = (files - medianFiles) / medianFiles
                if !isDump && -change > thresholds.fileLossCritical {
                    findings.append((.critical, "\(Int(medianFiles - files)) of \(Int(medianFiles)) files are gone (\(percent(-change))) against the median: a deleted folder?"))
                } else if abs(change) > thresholds.changeWarning {
                    findings.append((.warning, "file count \(change > 0 ? "grew" : "fell") \(percent(abs(change))) (\(Int(files)) vs \(Int(medianFiles)))"))
                }
            }
            if added > addedFloor && added > medianAdded * (1 + thresholds.changeWarning) + addedFloor {
                findings.append((.warning, "it added \(Bytes.text(added)) where the median is \(Bytes.text(medianAdded)): many files rewritten?"))
            }
            let state = findings.map(\.0).max() ?? .ok
            let text = findings.isEmpty
                ? "\(Bytes.text(summary.totalBytes)), \(Int(files)) file(s), added \(Bytes.text(summary.bytesAdded)); within the usual range of the last \(earlier.count)"
                : findings.sorted { $0.0 > $1.0 }.map(\.1).joined(separator: "; ")
            return CheckResult(id: id, category: .size, source: source.name, severity: state, summary: text,
                               advice: state == .ok ? nil : "compare with `silo diff` against the snapshot before; restore from an earlier snapshot if the source lost data",
                               metrics: metrics)
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    static func percent(_ share: Double) -> String { "\(Int((share * 100).rounded()))%" }
}
