"""The partner portal (/partners/): what agents of partner organisations, call centres and customer offices
use in front of the customer. Every page works inside the agent's scope (``kilowatt.channels.queries``)."""
