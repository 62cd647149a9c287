# The seed system as a client: Ruby's Faye::WebSocket::Client (EventMachine)
# runs a scripted exchange against an echo server and prints what it saw.
#
#   ruby ruby_faye_client.rb URL [--close client|server]
#
# It sends the messages below in order, then a ping, and checks every echo
# against what it sent. Once all echoes and the pong are in, it ends the
# connection: `client` (the default) closes with 4000 "ruby says bye";
# `server` sends the text "close 4001 faye says bye", a command asking the
# echo server to close with that code and reason. One line per event:
#   open
#   echo INDEX TYPE SIZE same|different [HEX]   (HEX only for small messages)
#   pong PAYLOAD
#   close CODE REASON
#   error MESSAGE
# Exits 0 after the close, 1 after an error or 20 s without one.
# ruby_faye_test.cpp builds the same messages to check them on its side.
require 'faye/websocket'
require 'eventmachine'

$stdout.sync = true

url = ARGV.fetch(0) { abort 'usage: ruby_faye_client.rb URL [--close client|server]' }
closer = ARGV[1] == '--close' ? ARGV.fetch(2) : 'client'
abort "--close takes client or server, not #{closer}" unless %w[client server].include?(closer)

large_binary = Array.new(1 << 20) { |i| (i * 7 + (i >> 10)) % 251 }
MESSAGES = [
  'Hello, world!',
  "h\u00e9llo w\u00f6rld \u2713 \u20ac \u{1F600}",
  (0..255).to_a,
  large_binary,
  "a\u00e9\u2713\u{1F600}" * 100_000
].freeze
PING_PAYLOAD = 'ruby ping'
HEX_LIMIT = 1024

def describe_echo(index, data)
  sent = MESSAGES[index]
  type = data.is_a?(Array) ? 'binary' : 'text'
  bytes = data.is_a?(Array) ? data.pack('C*') : data.b
  fields = ['echo', index, type, bytes.bytesize, data == sent ? 'same' : 'different']
  fields << bytes.unpack1('H*') if bytes.bytesize <= HEX_LIMIT
  fields.join(' ')
end

exit_code = 1
EM.run do
  socket = Faye::WebSocket::Client.new(url)
  echoes = 0
  ponged = false

  finish = lambda do
    next unless echoes == MESSAGES.size && ponged

    if closer == 'client'
      socket.close(4000, 'ruby says bye')
    else
      socket.send('close 4001 faye says bye')
    end
  end

  socket.on(:open) do
    puts 'open'
    MESSAGES.each { |message| socket.send(message) }
    socket.ping(PING_PAYLOAD) do
      puts "pong #{PING_PAYLOAD}"
      ponged = true
      finish.call
    end
  end
  socket.on(:message) do |event|
    puts describe_echo(echoes, event.data)
    echoes += 1
    finish.call
  end
  socket.on(:error) { |event| puts "error #{event.message}" }
  socket.on(:close) do |event|
    puts "close #{event.code} #{event.reason}"
    exit_code = 0 if echoes == MESSAGES.size && ponged
    EM.stop
  end

  EM.add_timer(20) do
    puts 'timeout'
    EM.stop
  end
end
exit exit_code
