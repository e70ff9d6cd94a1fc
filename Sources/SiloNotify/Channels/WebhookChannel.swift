import Foundation
import SiloConfig

/// A generic JSON webhook: POST of `WebhookPayload`, with `X-Silo-Timestamp` always and
/// `X-Silo-Signature` when a secret is set. http or https (a receiver on the LAN).
struct WebhookChannel {
    var url: Secret
    var secret: Secret?

    func deliver(_ notification: Notification, context: ChannelContext) throws(DeliveryFailure) {
        let url = try context.resolve(url)
        let key = try secret.map { secret throws(DeliveryFailure) in try context.resolve(secret) }
        var redactor = Redactor()
        redactor.add(url, isURL: true)
        redactor.add(key)
        let timestamp = Int(context.now().timeIntervalSince1970)
        let body = try JSONBody.encode(WebhookPayload(notification: notification, timestamp: timestamp, siloVersion: context.siloVersion))
        var headers = ["Content-Type: application/json; charset=utf-8", context.userAgent, "X-Silo-Timestamp: \(timestamp)",
                       "X-Silo-Event: \(notification.event.rawValue)"]
        if let key { headers.append(WebhookSignature.header(secret: key, body: body)) }
        let request = CurlRequest(url: url, protocols: "http,https", body: .post(body), headers: headers, timeout: context.timeout,
                                  caFile: context.httpsCAFile)
        _ = try HTTPExchange.perform(request, redactor: redactor)
    }
}
