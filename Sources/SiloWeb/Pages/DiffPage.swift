import Foundation
import SiloEngine

/// `/diff?a=OLD&b=NEW`: what was added, removed and modified between two snapshots, with sizes;
/// with `&path=FILE`, a line diff of one text file.
enum DiffPage {
    struct Row: Sendable {
        let change: SnapshotDiff.Change
        let oldSize: UInt64?
        let newSize: UInt64?
    }

    /// More changes than this are counted, not listed.
    static let listLimit = 10_000

    static func render(_ old: SnapshotEntry, _ new: SnapshotEntry, rows: [Row], language: Language) -> String {
        let t = language.strings
        let counts = Dictionary(grouping: rows, by: \.change.kind).mapValues(\.count)
        var body = "<p>\(old.shortID) (\(HTML.time(old.date))) → \(new.shortID) (\(HTML.time(new.date)))</p>"
            + "<p><span class=add>\(t.added2) \(counts["+"] ?? 0)</span> · <span class=del>\(t.removed) \(counts["-"] ?? 0)</span> · \(t.changed) \((counts["M"] ?? 0) + (counts["U"] ?? 0) + (counts["T"] ?? 0))</p>"
        body += "<table><thead><tr><th></th><th>\(t.name)</th><th class=num>\(t.size)</th></tr></thead><tbody>"
        for row in rows.prefix(listLimit) {
            let kind = row.change.kind
            let cls = kind == "+" ? "add" : kind == "-" ? "del" : ""
            let size: String
            switch kind {
            case "+": size = row.newSize.map(HTML.bytes) ?? ""
            case "-": size = row.oldSize.map(HTML.bytes) ?? ""
            default: size = [row.oldSize, row.newSize].map { $0.map(HTML.bytes) ?? "" }.joined(separator: " → ")
            }
            let encoded = URLPath.encode(Array(row.change.path.utf8).filter { $0 != 0 })
            let link = kind == "M" && !row.change.path.hasSuffix("/")
                ? "<a href=\"/diff?a=\(old.id.hex)&amp;b=\(new.id.hex)&amp;path=\(encoded)\">\(HTML.escape(row.change.path))</a>"
                : kind == "-" ? HTML.escape(row.change.path) : "<a href=\"/s/\(new.id.hex)\(encoded)\">\(HTML.escape(row.change.path))</a>"
            body += "<tr><td class=\(cls)>\(kind)</td><td>\(link)</td><td class=num>\(size)</td></tr>"
        }
        body += "</tbody></table>"
        return HTML.page(title: t.diff, language: language, body: body)
    }

    /// A unified-style line diff (Swift's `difference`, an LCS): removed lines `-`, added `+`,
    /// with three lines of context; nil when either side is not text.
    static func lines(old: Data, new: Data) -> [(Character, String)]? {
        guard let a = TextPreview.decode(old)?.text, let b = TextPreview.decode(new)?.text else { return nil }
        let oldLines = a.components(separatedBy: "\n"), newLines = b.components(separatedBy: "\n")
        let difference = newLines.difference(from: oldLines)
        var removed = Set<Int>(), inserted = Set<Int>()
        for change in difference {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        var out: [(Character, String)] = []
        var i = 0, j = 0
        while i < oldLines.count || j < newLines.count {
            if i < oldLines.count, removed.contains(i) { out.append(("-", oldLines[i])); i += 1; continue }
            if j < newLines.count, inserted.contains(j) { out.append(("+", newLines[j])); j += 1; continue }
            if i < oldLines.count { out.append((" ", oldLines[i])) }
            i += 1
            j += 1
        }
        // Context: unchanged lines within three of a change.
        let changed = out.indices.filter { out[$0].0 != " " }
        return out.indices.filter { index in out[index].0 != " " || changed.contains { abs($0 - index) <= 3 } }.map { out[$0] }
    }

    static func renderFile(_ old: SnapshotEntry, _ new: SnapshotEntry, path: String, lines: [(Character, String)]?, language: Language) -> String {
        let t = language.strings
        var body = "<p>\(HTML.escape(path)): \(old.shortID) (\(HTML.time(old.date))) → \(new.shortID) (\(HTML.time(new.date)))</p>"
        if let lines {
            body += "<pre>" + lines.map { line in
                let escaped = HTML.escape(String(line.0) + line.1)
                return line.0 == "+" ? "<span class=add>\(escaped)</span>" : line.0 == "-" ? "<span class=del>\(escaped)</span>" : escaped
            }.joined(separator: "\n") + "</pre>"
        } else {
            body += "<p class=muted>\(t.binary)</p>"
        }
        return HTML.page(title: t.diff, language: language, body: body)
    }
}
