import Foundation
import SiloFormat

/// `/s/ID/PATH` for a file: what it is, a preview (text from its first MiB, an image, or hex for
/// binary data), a download, and the file's history: the snapshots that hold it, marked where its
/// content changed — "see it before downloading it".
enum FilePage {
    static let previewLimit = 1 << 20

    /// One snapshot's copy of the file, newest first; `changed`: its content differs from the next older copy.
    struct Version: Sendable {
        let entry: SnapshotEntry
        let node: Node
        let changed: Bool
    }

    static func render(_ entry: SnapshotEntry, path: [UInt8], node: Node, preview: Data, history: [Version], language: Language) -> String {
        let t = language.strings
        let name = node.name.displayString
        let raw = "/raw/\(entry.id.hex)\(URLPath.encode(path))"
        var body = BrowsePage.breadcrumbs(entry, path, isFile: true)
        body += "<p>\(HTML.bytes(node.size ?? 0)) · <code>\(HTML.mode(node.mode, type: "-"))</code> · \(HTML.escape((node.user ?? String(node.uid)) + ":" + (node.group ?? String(node.gid))))"
            + " · \(HTML.time(Date(timeIntervalSince1970: Double(node.mtime) / 1e9))) · <a href=\"\(raw)\" download>\(t.download)</a></p>"
        if MediaTypes.previewableImages.contains(MediaTypes.fileExtension(name)) {
            body += "<img class=preview alt=\"\(HTML.escape(name))\" src=\"\(raw)?inline=1\">"
        } else if let text = TextPreview.decode(preview) {
            let more = (node.size ?? 0) > UInt64(preview.count) ? "<p class=muted>\(t.showing) \(HTML.bytes(UInt64(preview.count))) / \(HTML.bytes(node.size ?? 0))</p>" : ""
            body += "<p class=muted>\(text.encoding)</p><pre>\(HTML.escape(text.text))</pre>" + more
        } else {
            body += "<p class=muted>\(t.binary)</p><pre>\(HTML.escape(TextPreview.hexDump(preview.prefix(4096))))</pre>"
        }
        if !history.isEmpty {
            body += "<h2>\(t.history)</h2><table><thead><tr><th>\(t.time)</th><th>ID</th><th class=num>\(t.size)</th><th></th><th></th></tr></thead><tbody>"
            for (index, version) in history.enumerated() {
                let older = history.dropFirst(index + 1).first
                let diff = version.changed && older != nil
                    ? "<a href=\"/diff?a=\(older!.entry.id.hex)&amp;b=\(version.entry.id.hex)&amp;path=\(URLPath.encode(path))\">\(t.diff)</a>" : ""
                body += "<tr><td>\(HTML.time(version.entry.date))</td><td><a href=\"/s/\(version.entry.id.hex)\(URLPath.encode(path))\">\(version.entry.shortID)</a></td>"
                    + "<td class=num>\(HTML.bytes(version.node.size ?? 0))</td><td>\(version.changed ? "<strong>\(t.changedIn)</strong>" : "<span class=muted>\(t.noChange)</span>")</td><td>\(diff)</td></tr>"
            }
            body += "</tbody></table>"
        }
        return HTML.page(title: name, language: language, body: body)
    }
}

/// Text from the start of a file: UTF-8, UTF-16 with a byte-order mark, or Latin-1 when the bytes
/// are printable but not UTF-8; nil for binary data (a NUL, or many control bytes).
enum TextPreview {
    static func decode(_ data: Data) -> (text: String, encoding: String)? {
        if data.starts(with: [0xFF, 0xFE]), let text = String(data: data, encoding: .utf16LittleEndian) { return (text, "UTF-16LE") }
        if data.starts(with: [0xFE, 0xFF]), let text = String(data: data, encoding: .utf16BigEndian) { return (text, "UTF-16BE") }
        let control = data.reduce(0) { $0 + (($1 < 9 || ($1 > 13 && $1 < 32)) ? 1 : 0) }
        guard !data.contains(0), control * 100 <= data.count else { return nil }
        // A preview cut in the middle of a multi-byte character is still UTF-8.
        for cut in 0..<min(4, data.count + 1) {
            if let text = String(data: data.dropLast(cut), encoding: .utf8) { return (text, "UTF-8") }
        }
        return String(data: data, encoding: .isoLatin1).map { ($0, "ISO-8859-1") }
    }

    static func hexDump(_ data: Data) -> String {
        var lines: [String] = []
        let bytes = [UInt8](data)
        for start in stride(from: 0, to: bytes.count, by: 16) {
            let row = bytes[start..<min(start + 16, bytes.count)]
            let hex = row.map { String(format: "%02x", $0) }.joined(separator: " ")
            let ascii = String(row.map { $0 >= 32 && $0 < 127 ? Character(Unicode.Scalar($0)) : "." })
            lines.append(String(format: "%08x  ", start) + hex.padding(toLength: 48, withPad: " ", startingAt: 0) + "  " + ascii)
        }
        return lines.joined(separator: "\n")
    }
}
