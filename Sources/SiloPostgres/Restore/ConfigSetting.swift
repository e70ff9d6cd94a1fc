import Foundation

/// One `name=value` entry of `pg_db_role_setting.setconfig`, turned back into the `SET …`
/// clause of `ALTER DATABASE` / `ALTER ROLE … IN DATABASE`, the way pg_dump does it.
struct ConfigSetting: Equatable {
    var name: String
    var value: String

    /// Settings whose value the server stores as a list of quoted identifiers: each element
    /// must be passed as its own literal, or the whole list becomes one element
    /// (pg_dump's `variable_is_guc_list_quote`).
    static let listQuoted: Set<String> = ["local_preload_libraries", "search_path", "session_preload_libraries",
                                          "shared_preload_libraries", "temp_tablespaces", "unix_socket_directories"]

    init?(_ entry: String) {
        guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else { return nil }
        name = String(entry[..<equals])
        value = String(entry[entry.index(after: equals)...])
    }

    /// `"name" TO 'value'` (or `'a', 'b'` for a list).
    var clause: String {
        let values = Self.listQuoted.contains(name.lowercased()) ? Self.splitList(value).map(quoteLiteral).joined(separator: ", ") : quoteLiteral(value)
        return quoteIdentifier(name) + " TO " + values
    }

    /// Splits `"$user", public` into `$user` and `public`: elements separated by commas,
    /// optionally double-quoted with `""` for a quote (the server's own output format).
    static func splitList(_ text: String) -> [String] {
        var elements: [String] = []
        var characters: ArraySlice<Character> = ArraySlice(Array<Character>(text))
        func skipSpaces() { while let c = characters.first, c.isWhitespace { characters.removeFirst() } }
        skipSpaces()
        if characters.isEmpty { return [""] }
        while true {
            var element = ""
            if characters.first == "\"" {
                characters.removeFirst()
                while let c = characters.popFirst() {
                    if c == "\"" {
                        if characters.first == "\"" { characters.removeFirst(); element.append("\"") } else { break }
                    } else {
                        element.append(c)
                    }
                }
            } else {
                while let c = characters.first, c != ",", !c.isWhitespace { element.append(c); characters.removeFirst() }
            }
            elements.append(element)
            skipSpaces()
            guard characters.first == "," else { break }
            characters.removeFirst()
            skipSpaces()
        }
        return elements
    }
}
