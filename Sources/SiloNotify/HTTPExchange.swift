import Foundation

/// An HTTP request of a channel and its verdict: a transfer error, or a status >= 400, is a
/// `DeliveryFailure` that names the endpoint only and has the channel's secrets cut out.
enum HTTPExchange {
    static func perform(_ request: CurlRequest, redactor: Redactor) throws(DeliveryFailure) -> CurlResponse {
        let endpoint = Endpoint.describe(request.url)
        let response: CurlResponse
        do {
            response = try CurlTransfer.perform(request)
        } catch {
            throw .transfer(endpoint: endpoint, reason: redactor.scrub(error.message), retryable: error.retryable)
        }
        guard response.status < 400 else {
            throw .httpStatus(endpoint: endpoint, status: response.status, answer: answer(response.body, redactor: redactor))
        }
        return response
    }

    /// The start of the server's answer, one printable line: Slack says why in it
    /// ("invalid_token", "channel_is_archived").
    private static func answer(_ body: [UInt8], redactor: Redactor) -> String? {
        let text = String(decoding: body.prefix(400), as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let printable = String(line.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }.prefix(160).map(Character.init))
            .trimmingCharacters(in: .whitespaces)
        return printable.isEmpty ? nil : redactor.scrub(printable)
    }
}
