import Foundation
import SiloConfig

/// What every channel needs besides its own settings, from the `Delivery` that sends: the
/// transfer timeout, the secret resolver, the TLS trust and the moment of sending.
struct ChannelContext: Sendable {
    var timeout: Duration
    var resolver: SecretResolver
    /// A CA bundle for the HTTPS channels (Slack, webhooks, healthchecks), whose settings have
    /// none: nil is the system's trust store. E-mail has its own (`EmailSettings.caFile`).
    var httpsCAFile: String?
    var siloVersion: String?
    var now: @Sendable () -> Date

    var userAgent: String { "User-Agent: silo" + (siloVersion.map { "/\($0)" } ?? "") }

    func resolve(_ secret: Secret) throws(DeliveryFailure) -> String {
        do {
            return try resolver.resolve(secret)
        } catch {
            throw .secret(error)
        }
    }
}
