import Foundation

/// A notification as an Internet message (RFC 5322 with MIME, RFC 2045/2047): the headers a
/// mail server and a spam filter expect (Date, Message-ID, From, To, Subject, MIME-Version,
/// Content-Type, Content-Transfer-Encoding, Auto-Submitted), CRLF line endings, a plain-text
/// UTF-8 body. SMTP's dot-stuffing is libcurl's, at upload.
struct EmailMessage {
    var from: String
    var to: [String]
    var subject: String
    var body: String
    var date: Date
    var messageID: String
    /// `X-Silo-Event`, `X-Silo-Check`: for a mail filter's rules.
    var extraHeaders: [(String, String)] = []

    init(_ notification: Notification, from: String, to: [String], date: Date) {
        self.from = from
        self.to = to
        self.date = date
        self.subject = SlackMessage.clip("[silo] \(notification.title): \(notification.oneLineSummary)", 250)
        self.body = Self.text(notification)
        self.messageID = Self.messageID(host: notification.host)
        self.extraHeaders = [("X-Silo-Event", notification.event.rawValue), ("X-Silo-Check", notification.check)]
    }

    /// The message's bytes. Headers never carry a raw CR or LF from a value (header injection):
    /// `EmailChannel` refuses such addresses, and the subject is one line by construction.
    var bytes: [UInt8] {
        let lines = body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        let plain = body.unicodeScalars.allSatisfy(\.isASCII) && lines.allSatisfy { $0.utf8.count <= 998 }
        var headers = [
            ("Date", TimeFormats.rfc5322(date)),
            ("Message-ID", messageID),
            ("From", Self.encodedPhrase(from)),
            ("To", to.map(Self.encodedPhrase).joined(separator: ",\r\n ")),
            ("Subject", Self.encodedWords(subject)),
            ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=UTF-8"),
            // 7bit when it is plain ASCII; otherwise base64, which every server carries
            // unchanged (8bit needs the server's 8BITMIME, and long lines would be cut).
            ("Content-Transfer-Encoding", plain ? "7bit" : "base64"),
            // RFC 3834: an automatic message, so vacation responders stay quiet.
            ("Auto-Submitted", "auto-generated"),
        ]
        headers += extraHeaders.map { ($0.0, Self.encodedWords($0.1)) }
        var text = headers.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n"
        if plain {
            text += lines.joined(separator: "\r\n") + "\r\n"
        } else {
            let encoded = Data(lines.joined(separator: "\r\n").utf8).base64EncodedString()
            var index = encoded.startIndex
            while index < encoded.endIndex {
                let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
                text += encoded[index..<end] + "\r\n"
                index = end
            }
        }
        return Array(text.utf8)
    }

    static func text(_ notification: Notification) -> String {
        var lines = [notification.title, "", notification.summary, "", "Host:   \(notification.host)"]
        if let source = notification.source { lines.append("Source: \(source)") }
        if let since = notification.since { lines.append("Since:  \(TimeFormats.rfc3339(since))") }
        lines.append("Tier:   \(notification.tier)")
        if let advice = notification.advice, !advice.isEmpty { lines += ["", "What to do:", advice] }
        lines += ["", "-- ", "silo (\(notification.event.rawValue) notification)"]
        return lines.joined(separator: "\n")
    }

    /// `<random.time@host>`: unique without any state, on the right the host that sent it.
    static func messageID(host: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let random = WebhookSignature.hex((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let domain = String(host.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") })
        return "<\(random).\(Int(Date().timeIntervalSince1970))@\(domain.isEmpty ? "silo.invalid" : domain)>"
    }

    /// RFC 2047 encoded words (`=?UTF-8?B?…?=`) for a header that is not plain ASCII, each word
    /// at most 75 characters and never splitting a character, folded onto continuation lines.
    static func encodedWords(_ text: String) -> String {
        guard !text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value != 0x7f }) else { return text }
        var words: [[UInt8]] = []
        var chunk: [UInt8] = []
        // 45 bytes encode to 60 characters; with "=?UTF-8?B?" and "?=" a word stays under 75.
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append(chunk)
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    /// A mailbox (`Name <addr>` or `addr`) for From/To: a non-ASCII display name is encoded, the
    /// address itself stays as it is.
    static func encodedPhrase(_ mailbox: String) -> String {
        guard let open = mailbox.lastIndex(of: "<"), mailbox.unicodeScalars.contains(where: { !$0.isASCII }) else { return mailbox }
        let name = mailbox[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        return "\(encodedWords(name)) \(mailbox[open...])"
    }

    /// The bare address of a mailbox, for the SMTP envelope (`MAIL FROM:<addr>`).
    static func address(_ mailbox: String) -> String {
        if let open = mailbox.lastIndex(of: "<"), let close = mailbox.lastIndex(of: ">"), open < close {
            return String(mailbox[mailbox.index(after: open)..<close]).trimmingCharacters(in: .whitespaces)
        }
        return mailbox.trimmingCharacters(in: .whitespaces)
    }
}
