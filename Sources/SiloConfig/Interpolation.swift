import Foundation

/// `${VAR}` and `${VAR:-default}` in scalar values, as borgmatic and docker compose spell them;
/// `$${` is a literal `${`. A lone `$` stays as it is. An unset variable without a default is
/// an error at its offset, so the message can point at the column.
enum Interpolation {
    struct Failure: Error {
        /// Characters from the start of the scalar.
        let offset: Int
        let message: String
    }

    static func expand(_ text: String, environment: [String: String]) throws(Failure) -> String {
        guard text.contains("$") else { return text }
        let characters = Array(text)
        var result = ""
        var index = 0
        while index < characters.count {
            let character = characters[index]
            guard character == "$" else {
                result.append(character)
                index += 1
                continue
            }
            if index + 2 < characters.count, characters[index + 1] == "$", characters[index + 2] == "{" {
                result += "${"
                index += 3
                continue
            }
            guard index + 1 < characters.count, characters[index + 1] == "{" else {
                result.append(character)
                index += 1
                continue
            }
            guard let close = characters[(index + 2)...].firstIndex(of: "}") else {
                throw Failure(offset: index, message: "`${` without a closing `}` (write `$${` for a literal `${`)")
            }
            let body = String(characters[(index + 2)..<close])
            let name: String
            let fallback: String?
            if let separator = body.range(of: ":-") {
                name = String(body[..<separator.lowerBound])
                fallback = String(body[separator.upperBound...])
            } else {
                name = body
                fallback = nil
            }
            guard isVariableName(name) else {
                throw Failure(offset: index, message: "`${\(body)}` is not a variable reference: a name is letters, digits and _, not starting with a digit")
            }
            if let value = environment[name], !(value.isEmpty && fallback != nil) {
                result += value
            } else if let fallback {
                result += fallback
            } else {
                throw Failure(offset: index, message: "environment variable \(name) is not set: set it, or give a default as ${\(name):-value}")
            }
            index = close + 1
        }
        return result
    }

    /// Whether `text` is nothing but references (`${A}`, `${A}${B}`): such a value is not a
    /// literal secret in the file.
    static func isOnlyReferences(_ text: String) -> Bool {
        var rest = Substring(text)
        guard !rest.isEmpty else { return false }
        while !rest.isEmpty {
            guard rest.hasPrefix("${"), let close = rest.firstIndex(of: "}") else { return false }
            rest = rest[rest.index(after: close)...]
        }
        return true
    }

    /// Whether `text` refers to any variable at all.
    static func hasReference(_ text: String) -> Bool { text.replacingOccurrences(of: "$${", with: "").contains("${") }

    private static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
