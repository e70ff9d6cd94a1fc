import Foundation
import SiloConfig
import SiloNotify
import SiloOps

/// How one health check ended after its tries.
public struct HealthOutcome: Sendable, Codable, Equatable {
    public var service: String
    public var check: String
    public var passed: Bool
    public var attempts: Int
    public var seconds: Double
    /// The last try's answer: why it failed, or what passed.
    public var message: String
}

/// Runs a service's health checks: each try bounded by its timeout, up to `retries` more tries,
/// the waits between them growing from 0.1 s to `interval`. A check that never answers ends at
/// its last timeout, never hangs.
public enum HealthProbe {
    public static func run(_ check: HealthCheckSettings, service: String, environment: [String: String] = [:]) -> HealthOutcome {
        let started = Date()
        var attempts = 0
        var message = ""
        while true {
            attempts += 1
            let (passed, answer) = once(check, environment: environment)
            message = answer
            if passed {
                return HealthOutcome(service: service, check: check.label, passed: true, attempts: attempts, seconds: Date().timeIntervalSince(started), message: answer)
            }
            if attempts > check.retries { break }
            Thread.sleep(forTimeInterval: pause(after: attempts, interval: seconds(check.interval)))
        }
        return HealthOutcome(service: service, check: check.label, passed: false, attempts: attempts, seconds: Date().timeIntervalSince(started), message: message)
    }

    /// Every check of `service`, in order, stopping at the first that fails.
    public static func runAll(_ service: ServiceSettings, environment: [String: String] = [:]) -> [HealthOutcome] {
        var outcomes: [HealthOutcome] = []
        for check in service.health {
            let outcome = run(check, service: service.name, environment: environment)
            outcomes.append(outcome)
            if !outcome.passed { break }
        }
        return outcomes
    }

    static func once(_ check: HealthCheckSettings, environment: [String: String]) -> (Bool, String) {
        switch check.probe {
        case .http(let url, let status, let body):
            do {
                let answer = try HTTPGet.fetch(url, timeout: check.timeout)
                guard answer.status == status else { return (false, "answered \(answer.status), expected \(status)") }
                if let body, !answer.body.contains(body) { return (false, "answered \(answer.status) without \"\(body)\" in its body") }
                return (true, "answered \(answer.status)")
            } catch {
                return (false, error.message)
            }
        case .tcp(let host, let port):
            return TCPProbe.connect(host: host, port: port, timeout: seconds(check.timeout))
        case .command(let command):
            let result = HookRunner.run(Hook(command: command, timeout: "\(max(1, check.timeout.components.seconds))s"), environment: environment)
            return (result == .succeeded, result.description)
        }
    }

    /// The wait before the next try: 0.1 s after the first failure, doubling up to `interval` — a
    /// service that is up a moment after its start is seen then, not a whole interval later, and
    /// one that stays down is asked once an interval.
    static func pause(after attempts: Int, interval: Double) -> Double {
        min(interval, 0.1 * pow(2, Double(attempts - 1)))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
