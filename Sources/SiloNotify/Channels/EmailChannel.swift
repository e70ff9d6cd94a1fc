import Foundation
import SiloConfig

/// E-mail over SMTP through libcurl: `smtp://` with STARTTLS required (`starttls`), `smtps://`
/// (`tls`), or a plain connection to a local relay (`none`), over which no password is ever
/// sent. AUTH is libcurl's choice among what the server offers (PLAIN, LOGIN, …); one message
/// to all recipients.
struct EmailChannel {
    var settings: EmailSettings

    func deliver(_ notification: Notification, context: ChannelContext) throws(DeliveryFailure) {
        let url = try serverURL()
        guard !settings.to.isEmpty else { throw .settings("no recipients (to)") }
        for mailbox in [settings.from] + settings.to where mailbox.contains(where: \.isNewline) || EmailMessage.address(mailbox).isEmpty {
            throw .settings("the address \(mailbox.debugDescription) is not one address on one line")
        }
        if settings.security == .none, settings.username != nil || settings.password != nil {
            throw .settings("a username or password is set but security is none: credentials are only sent over TLS "
                + "(set security: starttls or tls)")
        }
        let password = try settings.password.map { secret throws(DeliveryFailure) in try context.resolve(secret) }
        var redactor = Redactor()
        redactor.add(password)
        let message = EmailMessage(notification, from: settings.from, to: settings.to, date: context.now())
        let request = CurlRequest(
            url: url, protocols: settings.security == .tls ? "smtps" : "smtp",
            body: .mail(from: "<\(EmailMessage.address(settings.from))>", recipients: settings.to.map { "<\(EmailMessage.address($0))>" },
                        message: message.bytes),
            timeout: context.timeout, caFile: settings.caFile, requireTLS: settings.security == .starttls,
            username: settings.username, password: password)
        do {
            _ = try CurlTransfer.perform(request)
        } catch {
            throw .transfer(endpoint: Endpoint.describe(url), reason: redactor.scrub(error.message), retryable: error.retryable)
        }
    }

    /// The URL libcurl gets: the scheme from `security` (it decides, and a scheme in `server`
    /// that says otherwise is a contradiction to fix, not to guess), host and port from `server`.
    func serverURL() throws(DeliveryFailure) -> String {
        var server = settings.server.trimmingCharacters(in: .whitespaces)
        let expected = settings.security == .tls ? "smtps" : "smtp"
        if let range = server.range(of: "://") {
            let scheme = server[..<range.lowerBound].lowercased()
            guard scheme == "smtp" || scheme == "smtps" else { throw .settings("the server \(settings.server) is not smtp:// or smtps://") }
            guard scheme == expected else {
                throw .settings("the server \(settings.server) is \(scheme):// but security is \(settings.security.rawValue) "
                    + "(\(expected):// expected)")
            }
            server = String(server[range.upperBound...])
        }
        while server.hasSuffix("/") { server.removeLast() }
        guard !server.isEmpty, !server.contains("/"), !server.contains("@"),
              URLComponents(string: "\(expected)://\(server)")?.host?.isEmpty == false
        else { throw .settings("the server \(settings.server) is not host[:port]") }
        return "\(expected)://\(server)"
    }
}
