import Foundation

/// HTML text, escaped where it is built: every value that reaches a page goes through `escape`.
struct HTML: Sendable {
    var text: String

    init(_ trusted: String) { text = trusted }

    static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for c in value {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A whole page: the navigation, the title, the body. Works without JavaScript; the one
    /// script only adds the quick filter's live typing (the form filters without it).
    static func page(title: String, language: Language, body: String, status: String? = nil) -> String {
        let t = language.strings
        return """
            <!DOCTYPE html>
            <html lang="\(language.code)"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · silo</title>
            <style>
            body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2329;background:#fafbfc}
            header{background:#1d2329;color:#fff;padding:.6em 1.2em;display:flex;gap:1.5em;align-items:center}
            header a{color:#cfe3ff;text-decoration:none}header strong{color:#fff}
            main{padding:1em 1.2em}table{border-collapse:collapse;width:100%;background:#fff}
            th,td{padding:.3em .6em;border-bottom:1px solid #e3e7eb;text-align:left;white-space:nowrap}
            th a{color:inherit}td.num,th.num{text-align:right}tr:hover td{background:#f2f6fb}
            .crumbs a{margin-right:.2em}.muted{color:#6a737d}.badge{background:#e8eef6;border-radius:3px;padding:0 .4em;margin-right:.3em}
            pre{background:#fff;border:1px solid #e3e7eb;padding:.8em;overflow:auto;max-height:70vh}
            .add{color:#116329}.del{color:#b31d28}form.inline{display:inline}img.preview{max-width:100%;max-height:70vh;border:1px solid #e3e7eb}
            </style></head><body>
            <header><strong>silo</strong><a href="/">\(t.snapshots)</a><a href="/search">\(t.search)</a><a href="/status">\(t.status)</a>\(status ?? "")</header>
            <main><h1>\(escape(title))</h1>
            \(body)
            </main>
            <script src="/static/filter.js"></script>
            </body></html>
            """
    }

    /// The quick filter's live typing; served from `/static/filter.js` so that the pages' policy
    /// allows scripts from the server only, none inline.
    static let filterScript = "for(const f of document.querySelectorAll('input[data-filter]')){f.addEventListener('input',()=>{const q=f.value.toLowerCase();for(const r of document.querySelectorAll(f.dataset.filter))r.hidden=!r.textContent.toLowerCase().includes(q)})}\n"

    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count), unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    /// `ls -l`'s permission string.
    static func mode(_ mode: UInt32, type: Character) -> String {
        var s = String(type)
        let bits: [(UInt32, Character)] = [(0o400, "r"), (0o200, "w"), (0o100, "x"), (0o040, "r"), (0o020, "w"), (0o010, "x"), (0o004, "r"), (0o002, "w"), (0o001, "x")]
        for (index, bit) in bits.enumerated() {
            var c: Character = mode & bit.0 != 0 ? bit.1 : "-"
            if index == 2, mode & 0o4000 != 0 { c = c == "x" ? "s" : "S" }
            if index == 5, mode & 0o2000 != 0 { c = c == "x" ? "s" : "S" }
            if index == 8, mode & 0o1000 != 0 { c = c == "x" ? "t" : "T" }
            s.append(c)
        }
        return s
    }
}

/// The interface's language, from `Accept-Language`: Korean when the client prefers it, else English.
enum Language: Sendable {
    case english, korean

    var code: String { self == .korean ? "ko" : "en" }

    init(acceptLanguage: String?) {
        var best: (Language, Double) = (.english, -1)
        for part in (acceptLanguage ?? "").split(separator: ",") {
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = fields.first?.lowercased() else { continue }
            let quality = fields.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            let language: Language? = tag.hasPrefix("ko") ? .korean : tag.hasPrefix("en") || tag == "*" ? .english : nil
            if let language, quality > best.1 { best = (language, quality) }
        }
        self = best.0
    }

    var strings: Strings { self == .korean ? .korean : .english }
}

/// Every text of the interface, in each language.
struct Strings: Sendable {
    let snapshots, search, status, time, host, source, tags, files, size, added, browse, name, modified, mode, owner
    : String
    let allHosts, allSources, allTags, filter, download, downloadTar, history, changedIn, noChange, binary, showing
    : String
    let diff, added2, removed, changed, login, password, logout, wrongPassword, tooMany, otherSnapshot, notFound, checks, runs
    : String

    static let english = Strings(
        snapshots: "Snapshots", search: "Search", status: "Status", time: "Time", host: "Host", source: "Source", tags: "Tags",
        files: "Files", size: "Size", added: "Added", browse: "Browse", name: "Name", modified: "Modified", mode: "Mode", owner: "Owner",
        allHosts: "all hosts", allSources: "all sources", allTags: "all tags", filter: "Filter", download: "Download",
        downloadTar: "Download as .tar.gz", history: "History of this file", changedIn: "changed", noChange: "same content",
        binary: "Binary data (first 4 KiB as hex)", showing: "Showing", diff: "Diff", added2: "Added", removed: "Removed",
        changed: "Modified", login: "Log in", password: "Password", logout: "Log out", wrongPassword: "Wrong password.",
        tooMany: "Too many failed logins: wait a minute.", otherSnapshot: "Same path in another snapshot", notFound: "Not found",
        checks: "Monitoring checks", runs: "Recent runs")

    static let korean = Strings(
        snapshots: "스냅샷", search: "검색", status: "상태", time: "시각", host: "호스트", source: "소스", tags: "태그",
        files: "파일", size: "크기", added: "추가됨", browse: "찾아보기", name: "이름", modified: "수정 시각", mode: "권한", owner: "소유자",
        allHosts: "모든 호스트", allSources: "모든 소스", allTags: "모든 태그", filter: "필터", download: "내려받기",
        downloadTar: ".tar.gz로 내려받기", history: "이 파일의 이력", changedIn: "변경됨", noChange: "내용 같음",
        binary: "바이너리 데이터 (처음 4 KiB, 16진수)", showing: "표시", diff: "비교", added2: "추가", removed: "삭제",
        changed: "수정", login: "로그인", password: "비밀번호", logout: "로그아웃", wrongPassword: "비밀번호가 틀렸습니다.",
        tooMany: "로그인 실패가 너무 많습니다. 1분 뒤에 다시 시도하세요.", otherSnapshot: "다른 스냅샷의 같은 경로", notFound: "찾을 수 없음",
        checks: "모니터링 점검", runs: "최근 실행")
}
