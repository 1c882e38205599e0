#!/usr/bin/perl
# The engine API client (src/docker/engine-api.ts says what it answers). Run as perl -e SCRIPT -- SOCKET OP ARG...
my ($sock, $op, @args) = @ARGV;
sub get {
  my ($path) = @_;
  socket(my $s, 1, 1, 0) or return (0, "");
  connect($s, pack("S a108", 1, $sock)) or return (0, "");
  my $req = "GET $path HTTP/1.0\r\nHost: docker\r\n\r\n";
  (syswrite($s, $req) // 0) == length($req) or return (0, "");
  my $r = "";
  1 while sysread($s, $r, 65536, length $r);
  close $s;
  $r =~ /\AHTTP\/\d\.\d (\d{3})[^\n]*\n.*?\r\n\r\n(.*)\z/s or return (0, "");
  my ($code, $body) = ($1, $2);
  $body =~ s/\s+\z//;
  return ($code, $body);
}
sub enc { my ($x) = @_; $x =~ s/([^A-Za-z0-9._~\/:\@-])/sprintf("%%%02X", ord $1)/ge; return $x; }
my $out = "";
if ($op eq "managed") {
  my ($code, $list) = get("/containers/json?all=1&filters=%7B%22label%22%3A%5B%22lading.managed%3Dtrue%22%5D%7D");
  exit 3 unless $code == 200;
  $out = "\@\@engine\nup\n\@\@objects\n";
  for my $id ($list =~ /[{,]"Id":"([0-9a-f]{64})"/g) {
    my ($c, $b) = get("/containers/$id/json");
    $out .= "$b\n" if $c == 200;
  }
  for my $ref (@args) {
    my ($c, $b) = get("/images/" . enc($ref) . "/json");
    $out .= "$b\n" if $c == 200;
  }
} elsif ($op eq "inspect") {
  for my $name (@args) {
    my ($c, $b) = get("/containers/" . enc($name) . "/json");
    exit 3 unless $c;
    $out .= "$b\n" if $c == 200;
  }
} else {
  exit 2;
}
print $out;
