import Foundation

/// `/`: the timeline — a chart of size and bytes added over time (inline SVG, no script), the
/// table, and filters by host, tag and source (a form: works without JavaScript).
enum SnapshotsPage {
    static func render(_ all: [SnapshotEntry], filter: SnapshotFilter, language: Language) -> String {
        let t = language.strings
        let shown = all.filter(filter.matches)
        func options(_ values: [String], selected: String?, all label: String) -> String {
            "<option value=\"\">\(HTML.escape(label))</option>" + Set(values).sorted().map {
                "<option\($0 == selected ? " selected" : "") value=\"\(HTML.escape($0))\">\(HTML.escape($0))</option>"
            }.joined()
        }
        var body = """
            <form method="get" action="/">
            <select name="host">\(options(all.map(\.snapshot.host), selected: filter.host, all: t.allHosts))</select>
            <select name="source">\(options(all.map(\.source), selected: filter.source, all: t.allSources))</select>
            <select name="tag">\(options(all.flatMap(\.snapshot.tags), selected: filter.tag, all: t.allTags))</select>
            <button>\(t.filter)</button></form>
            """
        body += chart(shown)
        body += "<table><thead><tr><th>ID</th><th>\(t.time)</th><th>\(t.host)</th><th>\(t.source)</th><th>\(t.tags)</th>"
            + "<th class=num>\(t.files)</th><th class=num>\(t.size)</th><th class=num>\(t.added)</th></tr></thead><tbody>"
        for entry in shown {
            let summary = entry.snapshot.summary
            body += "<tr><td><a href=\"/s/\(entry.id.hex)/\">\(entry.shortID)</a></td><td>\(HTML.time(entry.date))</td>"
                + "<td>\(HTML.escape(entry.snapshot.host))</td><td>\(HTML.escape(entry.source))</td><td>"
                + entry.snapshot.tags.map { "<span class=badge>\(HTML.escape($0))</span>" }.joined() + "</td>"
                + "<td class=num>\(summary.filesNew + summary.filesChanged + summary.filesUnmodified)</td>"
                + "<td class=num>\(HTML.bytes(summary.totalBytes))</td><td class=num>\(HTML.bytes(summary.rawBytesAdded))</td></tr>"
        }
        body += "</tbody></table><p class=muted>\(shown.count) / \(all.count)</p>"
        return HTML.page(title: t.snapshots, language: language, body: body)
    }

    /// Total size (line) and bytes added (bars) per snapshot, oldest on the left.
    static func chart(_ entries: [SnapshotEntry]) -> String {
        let points = entries.reversed().suffix(200)
        guard points.count >= 2 else { return "" }
        let width = 900.0, height = 160.0
        let maxSize = Double(points.map(\.snapshot.summary.totalBytes).max() ?? 1)
        let maxAdded = Double(points.map(\.snapshot.summary.rawBytesAdded).max() ?? 1)
        let step = width / Double(points.count)
        var bars = "", line = ""
        for (index, entry) in points.enumerated() {
            let x = Double(index) * step
            let added = maxAdded > 0 ? Double(entry.snapshot.summary.rawBytesAdded) / maxAdded * (height - 10) : 0
            bars += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#9ec5fe\"><title>%@ +%@</title></rect>",
                           x, height - added, max(step - 1, 1), added, HTML.time(entry.date), HTML.bytes(entry.snapshot.summary.rawBytesAdded))
            let y = maxSize > 0 ? height - Double(entry.snapshot.summary.totalBytes) / maxSize * (height - 10) : height
            line += String(format: "%@%.1f,%.1f", index == 0 ? "" : " ", x + step / 2, y)
        }
        return "<svg role=\"img\" aria-label=\"size and bytes added\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" height=\"160\">"
            + bars + "<polyline fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"2\" points=\"\(line)\"/></svg>"
    }
}
