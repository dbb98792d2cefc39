/// A problem reading CSV input, naming the file and the line where it was found.
public struct CSVError: Error, Sendable, CustomStringConvertible, Equatable {
    public var file: String
    /// 1-based physical line; 0 when the problem concerns the whole file.
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }
}
