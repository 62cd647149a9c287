# The seed system as a peer: Ruby's Faye::WebSocket under Thin, echoing every
# message with its type (text as text, binary as binary). faye-websocket picks
# hybi (RFC 6455), hixie-76 or hixie-75 from the request, like our server.
#
#   ruby ruby_faye_echo_server.rb
#
# Listens on 127.0.0.1 with a port from the OS and prints, one line each:
#   listening on PORT
#   open VERSION              (hybi-13, hixie-76, hixie-75)
#   pong PAYLOAD              (the peer answered a ping the server sent)
#   close CODE REASON         (a connection ended; hixie's: "close none")
# Text messages that are commands instead of data:
#   "close CODE REASON"  the server closes with that code and reason;
#   "close"              the server closes with no code (hixie has none);
#   "ping PAYLOAD"       the server pings with PAYLOAD.
# Exits when its stdin reaches its end or on SIGTERM, so a test that dies
# cannot leave it behind. Thin's own log goes to stderr.
require 'logger'
require 'faye/websocket'
require 'thin'

Faye::WebSocket.load_adapter('thin')
Thin::Logging.logger = Logger.new($stderr, level: Logger::WARN)
$stdout.sync = true

def handle_command(socket, text)
  case text
  when /\Aclose (\d+) (.*)\z/m then socket.close(Regexp.last_match(1).to_i, Regexp.last_match(2))
  when 'close' then socket.close
  when /\Aping (.*)\z/m
    payload = Regexp.last_match(1)
    socket.ping(payload) { puts "pong #{payload}" }
  else return false
  end
  true
end

echo = lambda do |env|
  next [404, { 'Content-Type' => 'text/plain' }, ['not a WebSocket']] unless Faye::WebSocket.websocket?(env)

  socket = Faye::WebSocket.new(env)
  socket.on(:open) { puts "open #{socket.version}" }
  socket.on(:message) do |event|
    # Binary arrives as an Array of byte values and is sent back as one.
    next if event.data.is_a?(String) && handle_command(socket, event.data)

    socket.send(event.data)
  end
  # Hixie closes carry no code or reason: "close none".
  socket.on(:close) { |event| puts ['close', event.code || 'none', event.reason].join(' ').rstrip }
  socket.rack_response
end

EM.run do
  server = Thin::Server.new('127.0.0.1', 0, echo, signals: false)
  server.start
  puts "listening on #{server.backend.port}"

  trap('TERM') { EM.stop }
  Thread.new do
    $stdin.read
    EM.schedule { EM.stop }
  end
end
