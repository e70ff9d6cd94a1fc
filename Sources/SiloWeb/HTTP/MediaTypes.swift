/// Content types by file extension, for downloads and previews; anything else is
/// `application/octet-stream` (never sniffed: a stored HTML file is not run in the browser's
/// origin unless asked for inline, and then only as text).
enum MediaTypes {
    static let byExtension: [String: String] = [
        "txt": "text/plain; charset=utf-8", "log": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8",
        "csv": "text/csv; charset=utf-8", "json": "application/json", "xml": "application/xml", "yaml": "application/yaml",
        "yml": "application/yaml", "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8", "css": "text/css",
        "js": "text/javascript", "sql": "application/sql", "pdf": "application/pdf", "zip": "application/zip",
        "gz": "application/gzip", "tgz": "application/gzip", "tar": "application/x-tar", "zst": "application/zstd",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
        "svg": "image/svg+xml", "ico": "image/x-icon", "bmp": "image/bmp", "mp4": "video/mp4", "mp3": "audio/mpeg",
    ]
    /// What a page may show inline as an image (SVG left out: it can carry scripts).
    static let previewableImages: Set<String> = ["png", "jpg", "jpeg", "gif", "webp", "bmp", "ico"]

    static func type(of name: String) -> String {
        byExtension[fileExtension(name)] ?? "application/octet-stream"
    }

    static func fileExtension(_ name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return name[name.index(after: dot)...].lowercased()
    }
}
