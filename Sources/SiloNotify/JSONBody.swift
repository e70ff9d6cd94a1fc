import Foundation

/// The JSON bodies channels send: keys sorted (the same message is the same bytes, which a
/// signature and a test can rely on), slashes not escaped.
enum JSONBody {
    static func encode(_ value: some Encodable) throws(DeliveryFailure) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw .settings("cannot encode the message as JSON: \(error)")
        }
    }
}
