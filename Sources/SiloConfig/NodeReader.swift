import Foundation
import Yams

/// Reads values out of Yams' node tree (compose, not decode, so that every node keeps its
/// `Mark`), interpolating scalars and collecting every issue with its position and key path
/// instead of stopping at the first.
final class NodeReader {
    let file: String
    let environment: [String: String]
    private(set) var issues: [ConfigurationIssue] = []
    /// Secrets written out in the file (not `${VAR}`): the file must then be 0600.
    private(set) var literalSecrets: [(position: SourcePosition?, path: KeyPath)] = []

    init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    /// A mapping's entries by key, each with its key's node (for positions) and value.
    struct Fields {
        let node: Node
        let path: KeyPath
        let entries: [(key: String, keyNode: Node, value: Node)]

        subscript(key: String) -> Node? { entries.first { $0.key == key }.flatMap { NodeReader.isNull($0.value) ? nil : $0.value } }
        func has(_ key: String) -> Bool { self[key] != nil }
        func path(_ key: String) -> KeyPath { path.appending(key) }
    }

    func report(_ message: String, at node: Node?, _ path: KeyPath, columnOffset: Int = 0) {
        var position = NodeReader.position(node)
        if let found = position, columnOffset > 0 { position = SourcePosition(line: found.line, column: found.column + columnOffset) }
        issues.append(ConfigurationIssue(file: file, position: position, keyPath: path, message: message))
    }

    func report(_ message: String, at position: SourcePosition?, _ path: KeyPath) {
        issues.append(ConfigurationIssue(file: file, position: position, keyPath: path, message: message))
    }

    static func position(_ node: Node?) -> SourcePosition? {
        node?.mark.map { SourcePosition(line: $0.line, column: $0.column) }
    }

    /// `key:` with nothing after it, `~` or `null`: the same as leaving the key out.
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    static func kind(_ node: Node) -> String {
        switch node {
        case .scalar: return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// A mapping with only `keys`; an unknown key is named with the closest known one.
    func mapping(_ node: Node, _ path: KeyPath, keys: [String], required: [String] = [], what: String? = nil) -> Fields? {
        guard case .mapping(let mapping) = node else {
            report("expected a mapping\(what.map { " (\($0))" } ?? ""), found \(NodeReader.kind(node))", at: node, path)
            return nil
        }
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                report("a key must be a plain word, found \(NodeReader.kind(keyNode))", at: keyNode, path)
                continue
            }
            let key = scalar.string
            if !keys.contains(key) {
                let hint = Suggestion.closest(to: key, among: keys).map { "; did you mean '\($0)'?" } ?? " (known keys: \(keys.joined(separator: ", ")))"
                report("unknown key '\(key)'\(hint)", at: keyNode, path.appending(key))
                continue
            }
            entries.append((key, keyNode, value))
        }
        let fields = Fields(node: node, path: path, entries: entries)
        for key in required where !fields.has(key) {
            report("missing required key '\(key)'", at: node, path.appending(key))
        }
        return fields
    }

    /// A mapping whose keys are names the user chose (`sources`), in the file's order.
    func namedEntries(_ node: Node, _ path: KeyPath, what: String) -> [(name: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            report("expected a mapping of \(what) by name, found \(NodeReader.kind(node))", at: node, path)
            return nil
        }
        var result: [(name: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                report("a name must be a plain word, found \(NodeReader.kind(keyNode))", at: keyNode, path)
                continue
            }
            result.append((scalar.string, keyNode, value))
        }
        return result
    }

    /// The scalar as written, before interpolation.
    func raw(_ node: Node) -> String? {
        if case .scalar(let scalar) = node { return scalar.string }
        return nil
    }

    /// A scalar, interpolated. A YAML number or boolean is accepted as its text.
    func string(_ node: Node, _ path: KeyPath, what: String = "a string") -> String? {
        guard case .scalar(let scalar) = node else {
            report("expected \(what), found \(NodeReader.kind(node))", at: node, path)
            return nil
        }
        do {
            return try Interpolation.expand(scalar.string, environment: environment)
        } catch {
            // A quoted scalar's mark is its opening quote; the offset counts from the text.
            let quote = scalar.style == .singleQuoted || scalar.style == .doubleQuoted ? 1 : 0
            let onFirstLine = !scalar.string.prefix(error.offset).contains("\n")
            report(error.message, at: node, path, columnOffset: onFirstLine ? error.offset + quote : 0)
            return nil
        }
    }

    /// A non-empty string.
    func word(_ node: Node, _ path: KeyPath, what: String = "a string") -> String? {
        guard let text = string(node, path, what: what) else { return nil }
        guard !text.isEmpty else {
            report("is empty: expected \(what)", at: node, path)
            return nil
        }
        return text
    }

    func integer(_ node: Node, _ path: KeyPath, minimum: Int = 0, maximum: Int = .max) -> Int? {
        guard let text = string(node, path, what: "a whole number") else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            report("expected a whole number, found '\(text)'", at: node, path)
            return nil
        }
        guard value >= minimum else {
            report("must be at least \(minimum), found \(value)", at: node, path)
            return nil
        }
        guard value <= maximum else {
            report("must be at most \(maximum), found \(value)", at: node, path)
            return nil
        }
        return value
    }

    func boolean(_ node: Node, _ path: KeyPath) -> Bool? {
        guard let text = string(node, path, what: "true or false") else { return nil }
        switch text {
        case "true", "True", "TRUE", "yes": return true
        case "false", "False", "FALSE", "no": return false
        default:
            report("expected true or false, found '\(text)'", at: node, path)
            return nil
        }
    }

    func cadence(_ node: Node, _ path: KeyPath) -> Cadence? {
        guard let text = string(node, path, what: "a cadence") else { return nil }
        guard let cadence = Cadence(text) else {
            report("'\(text)' is not a cadence: expected \(Cadence.grammar)", at: node, path)
            return nil
        }
        return cadence
    }

    /// A number such as 1.5 or 30 (a YAML integer or float, or a `${VAR}` holding one).
    func number(_ node: Node, _ path: KeyPath) -> Double? {
        guard let text = string(node, path, what: "a number") else { return nil }
        guard let value = Quantities.finite(text) else {
            report("expected a number, found '\(text)'", at: node, path)
            return nil
        }
        return value
    }

    /// `N` followed by s, m, h, d or w; with `allowZero`, `0` too.
    func duration(_ node: Node, _ path: KeyPath, allowZero: Bool = false) -> Duration? {
        guard let text = string(node, path, what: "a duration") else { return nil }
        guard let duration = Quantities.duration(text, allowZero: allowZero) else {
            report("'\(text)' is not a duration: expected \(allowZero ? "0 or " : "")\(Cadence.durationGrammar)", at: node, path)
            return nil
        }
        return duration
    }

    /// A share as a fraction: `20%` or `0.2`.
    func share(_ node: Node, _ path: KeyPath) -> Double? {
        guard let text = string(node, path, what: "a share") else { return nil }
        guard let share = Quantities.share(text) else {
            report("'\(text)' is not a share: expected \(Quantities.shareGrammar)", at: node, path)
            return nil
        }
        return share
    }

    /// A size in bytes: `500G`.
    func byteCount(_ node: Node, _ path: KeyPath) -> UInt64? {
        guard let text = string(node, path, what: "a size") else { return nil }
        guard let bytes = Quantities.byteCount(text) else {
            report("'\(text)' is not a size: expected \(Quantities.byteGrammar)", at: node, path)
            return nil
        }
        return bytes
    }

    /// One of a few words (a channel's type, a severity), the closest one named when it is none.
    func choice(_ node: Node, _ path: KeyPath, among choices: [String], what: String) -> String? {
        guard let text = word(node, path, what: what) else { return nil }
        guard choices.contains(text) else {
            let hint = Suggestion.closest(to: text, among: choices).map { "; did you mean '\($0)'?" } ?? ""
            report("'\(text)' is not \(what): expected one of \(choices.joined(separator: ", "))\(hint)", at: node, path)
            return nil
        }
        return text
    }

    /// A list of strings; `single` also accepts one string for a list of one.
    func strings(_ node: Node, _ path: KeyPath, single: Bool = false, nonEmpty: Bool = false) -> [String]? {
        if single, case .scalar = node { return string(node, path).map { [$0] } }
        guard case .sequence(let sequence) = node else {
            report("expected a list\(single ? " or a string" : ""), found \(NodeReader.kind(node))", at: node, path)
            return nil
        }
        var values: [String] = []
        for (index, item) in sequence.enumerated() {
            if let text = word(item, path.appending(index)) { values.append(text) }
        }
        if nonEmpty && sequence.isEmpty { report("is an empty list: give at least one", at: node, path) }
        return values
    }

    /// Like `strings`, each with its node and key path, for a message about one item.
    func stringItems(_ node: Node, _ path: KeyPath, single: Bool = false, nonEmpty: Bool = false) -> [(text: String, node: Node, path: KeyPath)]? {
        if single, case .scalar = node { return word(node, path).map { [($0, node, path)] } }
        guard case .sequence(let sequence) = node else {
            report("expected a list\(single ? " or a string" : ""), found \(NodeReader.kind(node))", at: node, path)
            return nil
        }
        var items: [(text: String, node: Node, path: KeyPath)] = []
        for (index, item) in sequence.enumerated() {
            if let text = word(item, path.appending(index)) { items.append((text, item, path.appending(index))) }
        }
        if nonEmpty && sequence.isEmpty { report("is an empty list: give at least one", at: node, path) }
        return items
    }

    /// Any value, kept as plain data (interpolated); secrets written out are noted.
    func value(_ node: Node, _ path: KeyPath, key: String? = nil) -> ConfigValue {
        switch node {
        case .scalar(let scalar):
            if NodeReader.isNull(node) { return .null }
            guard let text = string(node, path) else { return .null }
            if let key, SecretPolicy.isSecretKey(key), SecretPolicy.isLiteral(scalar.string) { noteLiteralSecret(at: node, path) }
            noteURLPassword(raw: scalar.string, at: node, path)
            if SecretPolicy.isWebhookURL(scalar.string) { noteLiteralSecret(at: node, path) }
            if scalar.style == .plain, let integer = Int(text), !Interpolation.hasReference(scalar.string) { return .integer(integer) }
            if scalar.style == .plain, text == "true" || text == "false" { return .boolean(text == "true") }
            return .string(text)
        case .sequence(let sequence):
            return .list(sequence.enumerated().map { value($0.element, path.appending($0.offset)) })
        case .mapping(let mapping):
            return .mapping(mapping.map { pair in
                let name = pair.key.string ?? "?"
                return (name, value(pair.value, path.appending(name), key: name))
            })
        case .alias:
            report("aliases are not supported: write the value out", at: node, path)
            return .null
        }
    }

    func noteLiteralSecret(at node: Node?, _ path: KeyPath) {
        literalSecrets.append((NodeReader.position(node), path))
    }

    /// `scheme://user:password@host` with the password written out.
    func noteURLPassword(raw: String, at node: Node, _ path: KeyPath) {
        if let range = SecretPolicy.urlPasswordRange(raw), SecretPolicy.isLiteral(String(raw[range])) { noteLiteralSecret(at: node, path) }
    }
}
