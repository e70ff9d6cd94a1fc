import Foundation
import SiloConfig

/// Sends notifications and pings to channels, each channel on its own: every one is tried
/// whatever the others do (one that hangs until its timeout delays no other, one that fails
/// stops none), each retried with exponential backoff, and each reported in a `DeliveryResult`.
/// Which channels a notification goes to (severity, tiers) is the caller's decision.
public struct Delivery: Sendable {
    public var attempts: Int
    public var backoff: Duration
    public var timeout: Duration
    public var resolver: SecretResolver
    /// Sent as `silo_version` in webhook bodies and in the User-Agent; nil leaves it out
    /// (SiloNotify does not know the version: the CLI does).
    public var siloVersion: String?
    var sleep: @Sendable (Duration) -> Void
    /// A CA bundle for the HTTPS channels instead of the system's; for the tests' own CA.
    var httpsCAFile: String?
    var now: @Sendable () -> Date = { Date() }

    public init(attempts: Int, backoff: Duration = .seconds(1), timeout: Duration = .seconds(10), resolver: SecretResolver = SecretResolver(),
                sleep: @escaping @Sendable (Duration) -> Void = Delivery.threadSleep) {
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self.resolver = resolver
        self.sleep = sleep
    }

    /// The default pause between attempts: this thread only (delivery runs on its own threads).
    public static let threadSleep: @Sendable (Duration) -> Void = { duration in
        let parts = duration.components
        Thread.sleep(forTimeInterval: Double(parts.seconds) + Double(parts.attoseconds) / 1e18)
    }

    /// Sends `notification` to every channel but the healthchecks ones (those are for `ping`),
    /// in parallel; the results in the channels' order.
    public func send(_ notification: Notification, to channels: [ChannelSettings]) -> [DeliveryResult] {
        let context = self.context
        let retrying = self.retrying
        return Self.eachInParallel(channels.filter { !$0.isPing }) { channel in
            retrying.run(channel: channel) { () throws(DeliveryFailure) in
                switch channel.kind {
                case .slack(let url): try SlackChannel(webhookURL: url).deliver(notification, context: context)
                case .email(let settings): try EmailChannel(settings: settings).deliver(notification, context: context)
                case .webhook(let url, let secret): try WebhookChannel(url: url, secret: secret).deliver(notification, context: context)
                case .healthchecks: break
                }
            }
        }
    }

    /// Pings the healthchecks channels only: `.start` → URL/start, `.success` → URL,
    /// `.failure` → URL/fail; `body` (capped at 100 kB) only to channels with `sendBody`.
    public func ping(_ event: PingEvent, body: String?, to channels: [ChannelSettings]) -> [DeliveryResult] {
        let context = self.context
        let retrying = self.retrying
        return Self.eachInParallel(channels.filter(\.isPing)) { channel in
            retrying.run(channel: channel) { () throws(DeliveryFailure) in
                guard case .healthchecks(let url, let sendBody) = channel.kind else { return }
                try HealthchecksChannel(url: url, sendBody: sendBody).ping(event, body: body, context: context)
            }
        }
    }

    private var context: ChannelContext {
        ChannelContext(timeout: timeout, resolver: resolver, httpsCAFile: httpsCAFile, siloVersion: siloVersion, now: now)
    }

    private var retrying: Retrying { Retrying(attempts: attempts, backoff: backoff, sleep: sleep) }

    /// One thread per channel rather than a fixed pool: each spends its time waiting on the
    /// network or in backoff, and a pool the size of the CPU count would queue a fast channel
    /// behind a hanging one.
    private static func eachInParallel(_ channels: [ChannelSettings],
                                       _ deliver: @escaping @Sendable (ChannelSettings) -> DeliveryResult) -> [DeliveryResult] {
        if channels.count <= 1 { return channels.map(deliver) }
        let results = ResultSlots(count: channels.count)
        let group = DispatchGroup()
        for (index, channel) in channels.enumerated() {
            group.enter()
            let thread = Thread {
                results.set(index, deliver(channel))
                group.leave()
            }
            thread.name = "silo-notify-\(channel.name)"
            thread.start()
        }
        group.wait()
        return results.values
    }

    /// The threads' results, written once each under a lock.
    private final class ResultSlots: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [DeliveryResult?]

        init(count: Int) { slots = Array(repeating: nil, count: count) }

        func set(_ index: Int, _ result: DeliveryResult) { lock.withLock { slots[index] = result } }

        var values: [DeliveryResult] { lock.withLock { slots.compactMap { $0 } } }
    }
}

extension ChannelSettings {
    /// Healthchecks channels take pings about runs, not notifications about checks.
    var isPing: Bool {
        if case .healthchecks = kind { return true }
        return false
    }
}
