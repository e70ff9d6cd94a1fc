/// A plain GET for callers outside notification delivery (a service's health check): the
/// status and the first 16 KiB of the body. Redirects are not followed.
public enum HTTPGet {
    public struct Answer: Sendable {
        public var status: Int
        public var body: String
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public static func fetch(_ url: String, timeout: Duration) throws(Failure) -> Answer {
        let request = CurlRequest(url: url, protocols: "http,https", timeout: timeout)
        do {
            let response = try CurlTransfer.perform(request)
            return Answer(status: response.status, body: String(decoding: response.body, as: UTF8.self))
        } catch {
            throw Failure(message: error.message.isEmpty ? "transfer failed (libcurl code \(error.code))" : error.message)
        }
    }
}
