import Foundation

/// One object of `--json` output. Its fields are its stored properties, written in snake_case
/// (`dataAddedStored` is `data_added_stored`); an optional that is nil is left out.
protocol JSONMessage: Encodable {
    /// The object's `message_type`.
    static var messageType: String { get }
    /// The commands that print it, as the first column of docs/JSON.md names them.
    static var commands: [String] { get }
    /// An instance with every optional field set: the documentation test reads its keys.
    static var sample: Self { get }
}

/// Every message type, so that docs/JSON.md can be checked against them all.
var allJSONMessages: [any JSONMessage.Type] {
    [
        ErrorMessage.self, WarningMessage.self, VersionMessage.self,
        LeaseRemovedMessage.self, UnlockSummaryMessage.self,
        BackupSummaryMessage.self, InitializedMessage.self,
        CopySkippedMessage.self, CopiedMessage.self, NotCopiedMessage.self, CopySummaryMessage.self,
        SnapshotMessage.self, NodeMessage.self, MatchMessage.self, ChangeMessage.self,
        RestoreSummaryMessage.self, DatabaseRestoreSummaryMessage.self,
        ImportedMessage.self, ImportSkippedMessage.self, ImportSummaryMessage.self, ExportSummaryMessage.self,
        RollbackSummaryMessage.self,
        DecisionMessage.self, ForgetSummaryMessage.self, PruneSummaryMessage.self, ForgetPruneSummaryMessage.self,
        StatsMessage.self, CheckSummaryMessage.self, CatalogRebuildSummaryMessage.self, IndexRebuildSummaryMessage.self,
        RepairSnapshotsSummaryMessage.self,
        KeyMessage.self, KeyAddedMessage.self, KeyRemovedMessage.self, KeyChangedMessage.self,
        TaggedMessage.self, TagSummaryMessage.self, RunMessage.self, RunStepMessage.self, RunSummaryMessage.self, PlanItemMessage.self,
        ConfigErrorMessage.self, ConfigSummaryMessage.self, ConfigurationMessage.self, ConfigWrittenMessage.self, ConfigRecoveredMessage.self,
        ScheduleFileMessage.self, ScheduleInstallSummaryMessage.self, ScheduleRemoveSummaryMessage.self, ScheduleUnitMessage.self,
        ScheduleFailureMessage.self,
        MonitorCheckMessage.self, MonitorSummaryMessage.self, AlertMessage.self, DeliveryMessage.self,
        SystemRestorePlanMessage.self, SystemRestoreSummaryMessage.self, SystemRestoreCleanupMessage.self, DrillSummaryMessage.self, ServeListeningMessage.self,
    ]
}

extension JSONMessage {
    /// The message as one line of JSON: keys sorted, slashes as they are.
    var jsonLine: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return (try? encoder.encode(TypedMessage(message: self))) ?? Data()
    }
}

/// A message with its `message_type` beside its own fields.
private struct TypedMessage<Message: JSONMessage>: Encodable {
    let message: Message

    private enum CodingKeys: String, CodingKey { case messageType }

    func encode(to encoder: any Encoder) throws {
        try message.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Message.messageType, forKey: .messageType)
    }
}

/// A field that is `null` when it has no value, where the output has always said so (a
/// snapshot's `parent`), instead of being left out.
struct NullWhenAbsent<Value: Encodable>: Encodable {
    let value: Value?

    init(_ value: Value?) { self.value = value }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}
