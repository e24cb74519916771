package io.rma.coordinator.web;

import java.util.ArrayList;
import java.util.List;

/**
 * A request body gathered as its bytes arrive, in the pieces they came in, each piece's bytes taken
 * from the in-flight budget first. The whole body is one array only at the end ({@link #toArray}),
 * so memory grows with what was sent, not with what was declared, and at most twice the body is
 * held (the pieces and the array) for the moment of that copy.
 */
public final class GrowingBody {
  private final BodyBudget.Hold hold;
  private final List<byte[]> pieces = new ArrayList<>();
  private int size;

  public GrowingBody(BodyBudget.Hold hold) {
    this.hold = hold;
  }

  /**
   * Adds {@code piece}, which this body now owns.
   *
   * @throws ApiException 503 when the budget has no room for it
   */
  public void add(byte[] piece) {
    hold.take(piece.length);
    pieces.add(piece);
    size += piece.length;
  }

  /** Bytes so far. */
  public int size() {
    return size;
  }

  /** The body in one array; the pieces are let go. */
  public byte[] toArray() {
    byte[] all = new byte[size];
    int at = 0;
    for (byte[] piece : pieces) {
      System.arraycopy(piece, 0, all, at, piece.length);
      at += piece.length;
    }
    pieces.clear();
    return all;
  }
}
