"""Who is calling and what they may do: sign-in, users, groups, tokens, OAuth clients."""
