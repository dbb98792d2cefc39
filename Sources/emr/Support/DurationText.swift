import ArgumentParser

/// A duration option written as `30s`, `5m`, `1h`, `1d` or a sum of them (`1h30m`); a bare
/// number is seconds.
struct DurationText: ExpressibleByArgument, Sendable, CustomStringConvertible {
    var seconds: Double
    var text: String

    init?(argument: String) {
        let trimmed = argument.trimmingCharacters(in: .whitespaces).lowercased()
        if let plain = Double(trimmed), plain.isFinite {
            self.seconds = plain
            self.text = argument
            return
        }
        var total = 0.0
        var rest = Substring(trimmed)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            guard let match = rest.prefixMatch(of: /(\d+(?:\.\d+)?)(ms|s|m|h|d)/), let value = Double(match.1) else { return nil }
            let unit: Double = switch match.2 {
            case "ms": 0.001
            case "s": 1
            case "m": 60
            case "h": 3_600
            default: 86_400
            }
            total += value * unit
            rest = rest[match.range.upperBound...]
        }
        self.seconds = total
        self.text = argument
    }

    var description: String { text }
}
