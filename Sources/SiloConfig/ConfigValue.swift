/// A YAML value as plain data: the reserved sections (kept as written, interpolated) and the
/// rendered effective configuration (`config show`, the copy stored in the repository).
/// `number` is only ever rendered (a monitoring factor such as 1.5): the reserved sections keep
/// a YAML float as the text written, as they keep every other scalar.
/// Mappings keep their order so that output reads like the file.
public indirect enum ConfigValue: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case list([ConfigValue])
    case mapping([(key: String, value: ConfigValue)])
    case null

    public static func == (lhs: ConfigValue, rhs: ConfigValue) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): return a == b
        case let (.integer(a), .integer(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.boolean(a), .boolean(b)): return a == b
        case let (.list(a), .list(b)): return a == b
        case let (.mapping(a), .mapping(b)): return a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
        case (.null, .null): return true
        default: return false
        }
    }

    /// The value under `key` of a mapping.
    public subscript(key: String) -> ConfigValue? {
        guard case .mapping(let pairs) = self else { return nil }
        return pairs.first { $0.key == key }?.value
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}
