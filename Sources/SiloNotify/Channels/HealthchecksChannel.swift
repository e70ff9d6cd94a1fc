import Foundation
import SiloConfig

/// Healthchecks-style pings (healthchecks.io and its self-hosted kin): GET `URL/start`, `URL`
/// or `URL/fail`; with `sendBody`, a POST whose body (the run's summary) the service shows
/// beside the ping, cut to the 100 kB it keeps.
struct HealthchecksChannel {
    static let bodyLimit = 100_000

    var url: Secret
    var sendBody: Bool

    func ping(_ event: PingEvent, body: String?, context: ChannelContext) throws(DeliveryFailure) {
        let base = try context.resolve(url)
        var redactor = Redactor()
        redactor.add(base, isURL: true)
        let target = Self.url(base, event)
        var request = CurlRequest(url: target, protocols: "http,https", headers: [context.userAgent], timeout: context.timeout,
                                  caFile: context.httpsCAFile)
        if sendBody, let body {
            request.body = .post(Self.capped(body))
            request.headers.append("Content-Type: text/plain; charset=utf-8")
        }
        _ = try HTTPExchange.perform(request, redactor: redactor)
    }

    /// The event's suffix goes on the path, before any query (`https://hc/ping/UUID?rid=1`).
    static func url(_ base: String, _ event: PingEvent) -> String {
        guard var components = URLComponents(string: base) else { return base + event.pathSuffix }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        components.percentEncodedPath = path + event.pathSuffix
        return components.string ?? base + event.pathSuffix
    }

    /// At most `bodyLimit` bytes, cut at a character boundary so the body stays valid UTF-8.
    static func capped(_ body: String) -> [UInt8] {
        let bytes = Array(body.utf8)
        guard bytes.count > bodyLimit else { return bytes }
        var end = bodyLimit
        // Back over continuation bytes (10xxxxxx) to the start of the character that would be cut.
        while end > 0, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return Array(bytes[..<end])
    }
}
