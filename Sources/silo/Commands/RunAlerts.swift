import Foundation
import SiloConfig
import SiloMonitor
import SiloNotify
import SiloOps
import SiloRepository

/// What `silo run` (and `silo schedule failed`) tell the world, when the configuration asks:
/// healthchecks pings at the start and the end, the monitor's alerts after the run is recorded
/// (so a failed run, and the recovery after it, reach the channels through escalation), and
/// the Prometheus textfile. Nothing here can fail the run: a send that fails is a warning, and
/// is recorded for `silo monitor`.
struct RunAlerts {
    let configuration: Configuration
    let global: GlobalOptions
    let output: Output
    let now: @Sendable () -> Date

    private var settings: NotificationSettings { configuration.notifications }
    private var pingChannels: [ChannelSettings] { settings.channels.filter { if case .healthchecks = $0.kind { true } else { false } } }
    private var alertChannels: [ChannelSettings] { settings.channels.filter { if case .healthchecks = $0.kind { false } else { true } } }

    /// Whether the end of a run has anything to do (a run of a configuration without channels
    /// or textfile costs nothing more).
    var isConfigured: Bool { !settings.channels.isEmpty || configuration.monitoring.textfileDirectory != nil }

    func started() {
        guard !pingChannels.isEmpty else { return }
        report(Delivery(attempts: settings.attempts).ping(.start, body: nil, to: pingChannels), event: "start", check: "run", severity: .ok, ledger: nil)
    }

    /// After the run is recorded in `history`: the end ping, the alerts, the textfile.
    func finished(succeeded: Bool, summary: String, history: RunHistory) {
        guard isConfigured else { return }
        let ledger = AlertLedger(history: history, configuration: ConfigurationIdentity.key(for: configuration.file))
        if !pingChannels.isEmpty {
            let results = Delivery(attempts: settings.attempts).ping(succeeded ? .success : .failure, body: summary, to: pingChannels)
            report(results, event: succeeded ? "success" : "failure", check: "run", severity: succeeded ? .ok : .critical, ledger: ledger)
        }
        guard !alertChannels.isEmpty || configuration.monitoring.textfileDirectory != nil else { return }
        do {
            let repository = try ConfiguredRepositoryOpener(global: global).open(location: configuration.repository.location,
                                                                                 password: configuration.repository.password,
                                                                                 cacheDirectory: configuration.repository.cacheDirectory)
            let facts = try MonitorFactsGathering.gather(configuration: configuration, configurationKey: ConfigurationIdentity.key(for: configuration.file),
                                                         repository: repository, history: history, now: now())
            let monitorReport = Monitor.evaluate(facts)
            if !alertChannels.isEmpty {
                try AlertsCommand.notify(monitorReport, configuration: configuration, ledger: ledger, now: now, output: output)
            }
            if let directory = configuration.monitoring.textfileDirectory {
                try PrometheusTextfile.write(PrometheusRendering.render(monitorReport), directory: directory)
            }
        } catch {
            output.warning("the monitor's checks after the run could not be made: \(SiloError(classifying: error).message)")
        }
    }

    private func report(_ results: [DeliveryResult], event: String, check: String, severity: AlertSeverity, ledger: AlertLedger?) {
        let records = results.map {
            DeliveryRecord(time: now(), check: check, event: event, severity: severity, channel: $0.channel, succeeded: $0.succeeded,
                           attempts: $0.attempts, error: $0.error)
        }
        try? ledger?.record(records)
        for record in records {
            output.emit(DeliveryMessage(record))
            if !record.succeeded {
                output.warning("the \(event) ping to \(record.channel) failed after \(record.attempts) attempt(s): \(record.error ?? "")")
            }
        }
    }
}
