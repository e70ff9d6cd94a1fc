/// One libcurl transfer, described as plain values: an HTTP request or an SMTP submission.
/// Channels fill it in; `CurlTransfer` is the only code that talks to libcurl.
struct CurlRequest: Sendable {
    enum Body: Sendable {
        /// HTTP GET, nothing sent.
        case none
        /// HTTP POST of these bytes.
        case post([UInt8])
        /// SMTP: the message (RFC 5322), uploaded after MAIL FROM and RCPT TO.
        case mail(from: String, recipients: [String], message: [UInt8])
    }

    /// Carries secrets (a webhook URL); never put in an error.
    var url: String
    /// CURLOPT_PROTOCOLS_STR: only what the channel needs ("https", "http,https", "smtp", "smtps").
    var protocols: String
    var body: Body = .none
    /// HTTP request headers, "Name: value".
    var headers: [String] = []
    /// The whole transfer, connection included.
    var timeout: Duration
    /// A CA bundle trusted instead of the system's.
    var caFile: String?
    /// SMTP: CURLOPT_USE_SSL = CURLUSESSL_ALL (STARTTLS required, the transfer fails without it).
    var requireTLS = false
    var username: String?
    var password: String?
}

/// What came back: the last response code (HTTP status, or the SMTP reply) and the start of
/// the body (answers are only read for error messages).
struct CurlResponse: Sendable {
    var status: Int
    var body: [UInt8]
}

/// libcurl failed the transfer (`CURLcode` other than CURLE_OK). `message` is libcurl's error
/// buffer, which names hosts and ports but may quote more, so callers scrub it.
struct CurlError: Error, Sendable {
    var code: UInt32
    var message: String
    var retryable: Bool
}
