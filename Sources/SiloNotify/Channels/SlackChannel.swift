import Foundation
import SiloConfig

/// Slack incoming webhooks: one POST of `SlackMessage` as JSON to the webhook URL, which is the
/// credential itself (so it is a `Secret`, and only `https` is allowed: over plain HTTP the
/// URL would cross the network readable).
struct SlackChannel {
    var webhookURL: Secret

    func deliver(_ notification: Notification, context: ChannelContext) throws(DeliveryFailure) {
        let url = try context.resolve(webhookURL)
        var redactor = Redactor()
        redactor.add(url, isURL: true)
        let body = try JSONBody.encode(SlackMessage(notification))
        let request = CurlRequest(url: url, protocols: "https", body: .post(body),
                                  headers: ["Content-Type: application/json; charset=utf-8", context.userAgent],
                                  timeout: context.timeout, caFile: context.httpsCAFile)
        _ = try HTTPExchange.perform(request, redactor: redactor)
    }
}
