"""Encryption of account credentials at rest."""
