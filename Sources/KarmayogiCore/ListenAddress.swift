/// Where the server listens, read as `serve` reads it: its `--hostname`/`-H`, `--port`/`-p` and `--bind`/`-b host:port`
/// flags first, then `HOST` and `PORT`, then 127.0.0.1:8080 — and so the address that links and certificates carry
/// when no `PUBLIC_URL` is set.
public struct ListenAddress: Equatable, Sendable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init(arguments: [String], variables: [String: String]) {
        var host = variables["HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        var port = variables["PORT"].flatMap(Int.init) ?? 8080
        var index = 0
        func value(after flag: String) -> String? {
            let argument = arguments[index]
            if argument.hasPrefix(flag + "=") { return String(argument.dropFirst(flag.count + 1)) }
            guard argument == flag, index + 1 < arguments.count else { return nil }
            index += 1
            return arguments[index]
        }
        while index < arguments.count {
            if let text = value(after: "--hostname") ?? value(after: "-H") {
                host = text
            } else if let text = value(after: "--port") ?? value(after: "-p"), let number = Int(text) {
                port = number
            } else if let text = value(after: "--bind") ?? value(after: "-b") {
                if let colon = text.lastIndex(of: ":"), let number = Int(text[text.index(after: colon)...]) {
                    host = String(text[..<colon])
                    port = number
                } else {
                    host = text
                }
            }
            index += 1
        }
        self.host = host
        self.port = port
    }

    /// `http://host:port`, with a wildcard address (0.0.0.0, ::) named as `localhost` and an IPv6 address bracketed.
    public var url: String {
        let shown: String
        switch host {
        case "0.0.0.0", "::", "[::]", "": shown = "localhost"
        default: shown = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        }
        return "http://\(shown):\(port)"
    }
}
